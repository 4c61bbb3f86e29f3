/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.l3af.Chain1: probes (ListProbes), beside chain programs and on their own. */
#include "bus-methods.h"
#include "bus.h"
#include "chain.h"
#include "probe.h"
#include "standalone.h"
#include "util.h"

static int append_probe(sd_bus_message *reply, const char *chain, const Probe *p, const char *error)
{
        return sd_bus_message_append(reply, "(sssssuus)", chain, p->owner, p->program,
                                     probe_kind_to_string(p->kind) ?: "", p->target ?: "", p->link_id, p->prog_id,
                                     error ?: "");
}

int method_list_probes(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Context *c = userdata;
        g_autofree const ChainId **ids = NULL;
        g_autofree const char **names = NULL;
        guint nids = 0, nnames = 0;
        int r;

        ids = (const ChainId **) g_hash_table_get_keys_as_array(c->chains, &nids);
        qsort(ids, nids, sizeof(*ids), chain_id_ptr_compare);
        names = (const char **) g_hash_table_get_keys_as_array(c->probes, &nnames);
        qsort(names, nnames, sizeof(*names), strptr_compare);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssssuus)");
        for (guint i = 0; r >= 0 && i < nids; i++) {
                Chain *ch = g_hash_table_lookup(c->chains, ids[i]);

                for (guint j = 0; r >= 0 && j < ch->probes->len; j++)
                        r = append_probe(reply, CHAIN_TEXT(ch), ch->probes->pdata[j], NULL);
        }
        for (guint i = 0; r >= 0 && i < nnames; i++) {
                Standalone *s = g_hash_table_lookup(c->probes, names[i]);

                for (guint j = 0; r >= 0 && j < s->probes->len; j++)
                        r = append_probe(reply, "", s->probes->pdata[j], s->error);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
