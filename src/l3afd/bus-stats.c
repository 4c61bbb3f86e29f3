/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.l3af.Chain1: GetStatistics, a chain's kernel statistics and declared metrics (stats.h). */
#include "bus-errors.h"
#include "bus-methods.h"
#include "bus.h"
#include "chain.h"
#include "stats.h"
#include "util.h"

int method_get_statistics(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(ChainStats) st = NULL;
        Context *c = userdata;
        Chain *ch;
        int r;

        r = bus_read_chain(m, c, &ch, error);
        if (r < 0)
                return r;
        r = chain_stats_collect(ch, &st);
        if (r < 0)
                return sd_bus_error_setf(error, L3AF_ERROR_NO_SUCH_CHAIN, "Chain %s runs no generation.",
                                         CHAIN_TEXT(ch));
        st->kernel = c->stats_fd >= 0;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "bttt", st->kernel, st->generation, st->packets, st->run_time_ns);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(su)");
        for (guint i = 0; r >= 0 && i < st->programs->len; i++) {
                const ProgramStats *p = st->programs->pdata[i];

                r = sd_bus_message_append(reply, "(su)", p->name, p->id);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssbsd)");
        for (guint i = 0; r >= 0 && i < st->samples->len; i++) {
                const MetricSample *s = st->samples->pdata[i];

                r = sd_bus_message_append(reply, "(sssbsd)", s->program, s->metric, metric_type_to_string(s->type),
                                          s->key != NULL, s->key ? s->key : "", s->value);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        g_ptr_array_add(st->errors, NULL);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, (char **) st->errors->pdata);
        /* Appended after the first version's arguments, which readers of it still find in place. */
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(stt)");
        for (guint i = 0; r >= 0 && st->per_program && i < st->programs->len; i++) {
                const ProgramStats *p = st->programs->pdata[i];

                r = sd_bus_message_append(reply, "(stt)", p->name, p->runs, p->run_time_ns);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", st->per_program ? "" : strempty(st->per_program_note));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
