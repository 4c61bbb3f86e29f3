/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "chain.h"
#include "foreign.h"
#include "metrics.h"
#include "package.h"
#include "stats.h"
#include "util.h"

char *metrics_family_name(const char *name, MetricType type)
{
        return g_strdup_printf("l3af_%s%s", name,
                               type == METRIC_COUNTER && !g_str_has_suffix(name, "_total") ? "_total" : "");
}

/* A label value: backslash, double quote and line feed escaped (the exposition format). */
static void append_label(GString *out, const char *name, const char *value, bool first)
{
        g_string_append_printf(out, "%s%s=\"", first ? "" : ",", name);
        for (const char *v = value; *v; v++) {
                if (*v == '\\')
                        g_string_append(out, "\\\\");
                else if (*v == '"')
                        g_string_append(out, "\\\"");
                else if (*v == '\n')
                        g_string_append(out, "\\n");
                else
                        g_string_append_c(out, *v);
        }
        g_string_append_c(out, '"');
}

static void append_family(GString *out, const char *name, const char *type, const char *help)
{
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void append_chain_labels(GString *out, const ChainStats *st)
{
        append_label(out, "interface", st->ifname, true);
        append_label(out, "hook", hook_to_string(st->hook), false);
}

static void append_number(GString *out, double v)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append_printf(out, " %s\n", g_ascii_dtostr(buf, sizeof(buf), v));
}

static gint compare_stats(gconstpointer a, gconstpointer b)
{
        const ChainStats *x = *(ChainStats *const *) a, *y = *(ChainStats *const *) b;
        int r = strcmp(x->ifname, y->ifname);

        return r ? r : (int) x->hook - (int) y->hook;
}

/* The daemon's own families: its build, statistics on or off, its chains by state ('by_state', as CHAIN_STATES)
 * and its counters. */
static void append_daemon(GString *out, Context *c, const unsigned *by_state, bool kernel)
{
        static const char *const states[] = { CHAIN_STATES };
        uint64_t verifications, refusals;

        append_family(out, "l3afd_build_info", "gauge", "l3afd's version.");
        g_string_append(out, "l3afd_build_info{");
        append_label(out, "version", L3AF_VERSION, true);
        g_string_append(out, "} 1\n");

        append_family(out, "l3afd_statistics_enabled", "gauge",
                      "1 when l3afd holds the kernel's run-time statistics on ([Daemon] Statistics=yes or "
                      "programs).");
        g_string_append_printf(out, "l3afd_statistics_enabled %d\n", kernel);

        append_family(out, "l3afd_chains", "gauge", "Chains l3afd owns, by state.");
        for (size_t i = 0; i < G_N_ELEMENTS(states); i++) {
                g_string_append(out, "l3afd_chains{");
                append_label(out, "state", states[i], true);
                g_string_append_printf(out, "} %u\n", by_state[i]);
        }

        append_family(out, "l3afd_reloads_total", "counter", "Reloads asked for (SIGHUP or the D-Bus Reload method).");
        g_string_append_printf(out, "l3afd_reloads_total %" PRIu64 "\n", c->reloads);
        append_family(out, "l3afd_reload_failures_total", "counter",
                      "Reloads that ended with an error; the chains concerned kept their generation.");
        g_string_append_printf(out, "l3afd_reload_failures_total %" PRIu64 "\n", c->reload_failures);
        append_family(out, "l3afd_foreign_program_detections_total", "counter",
                      "Foreign programs found displacing or preceding a chain's root, journaled once each.");
        g_string_append_printf(out, "l3afd_foreign_program_detections_total %" PRIu64 "\n", c->foreign_reports);
        package_counters(&verifications, &refusals);
        append_family(out, "l3afd_package_verifications_total", "counter", "Package artifacts whose signature was checked.");
        g_string_append_printf(out, "l3afd_package_verifications_total %" PRIu64 "\n", verifications);
        append_family(out, "l3afd_package_refusals_total", "counter", "Packages refused, for any reason.");
        g_string_append_printf(out, "l3afd_package_refusals_total %" PRIu64 "\n", refusals);
}

/* Each chain's generation and programs, and with kernel statistics its packets and run time. */
static void append_chains(GString *out, GPtrArray *all, bool kernel)
{
        append_family(out, "l3afd_chain_generation", "gauge", "The generation a chain runs.");
        for (guint i = 0; i < all->len; i++) {
                const ChainStats *st = all->pdata[i];

                g_string_append(out, "l3afd_chain_generation{");
                append_chain_labels(out, st);
                g_string_append_printf(out, "} %" PRIu64 "\n", st->generation);
        }

        append_family(out, "l3afd_program_info", "gauge",
                      "The programs of each chain, in order, with their ids and the package and version they come "
                      "from (empty for an object file).");
        for (guint i = 0; i < all->len; i++) {
                const ChainStats *st = all->pdata[i];

                for (guint j = 0; j < st->programs->len; j++) {
                        const ProgramStats *p = st->programs->pdata[j];
                        g_autofree char *id = g_strdup_printf("%u", p->id), *pos = g_strdup_printf("%u", j + 1);

                        g_string_append(out, "l3afd_program_info{");
                        append_chain_labels(out, st);
                        append_label(out, "program", p->name, false);
                        append_label(out, "id", id, false);
                        append_label(out, "position", pos, false);
                        append_label(out, "package", p->package, false);
                        append_label(out, "version", p->version, false);
                        g_string_append(out, "} 1\n");
                }
        }

        if (kernel) {
                append_family(out, "l3afd_chain_packets_total", "counter",
                              "Packets entering the chain: its root program's run count (kernel statistics).");
                for (guint i = 0; i < all->len; i++) {
                        const ChainStats *st = all->pdata[i];

                        g_string_append(out, "l3afd_chain_packets_total{");
                        append_chain_labels(out, st);
                        g_string_append_printf(out, "} %" PRIu64 "\n", st->packets);
                }
                append_family(out, "l3afd_chain_run_seconds_total", "counter",
                              "Time spent in the chain, every program included (kernel statistics).");
                for (guint i = 0; i < all->len; i++) {
                        const ChainStats *st = all->pdata[i];

                        g_string_append(out, "l3afd_chain_run_seconds_total{");
                        append_chain_labels(out, st);
                        g_string_append_printf(out, "} %" PRIu64 ".%09" PRIu64 "\n", st->run_time_ns / 1000000000,
                                               st->run_time_ns % 1000000000);
                }
        }
}

static void append_seconds(GString *out, uint64_t ns)
{
        g_string_append_printf(out, " %" PRIu64 ".%09" PRIu64 "\n", ns / 1000000000, ns % 1000000000);
}

/*
 * With Statistics=programs: each program's runs and run time, where its chain counts them (at most 16
 * programs: counting.h), and per chain whether it does. Without, nothing: no chain counts its programs.
 */
static void append_programs(GString *out, GPtrArray *all)
{
        append_family(out, "l3afd_chain_programs_counted", "gauge",
                      "1 when l3afd counts each program of the chain (Statistics=programs and at most 16 programs); "
                      "0 when l3afd_program_runs_total has no series for it.");
        for (guint i = 0; i < all->len; i++) {
                const ChainStats *st = all->pdata[i];

                g_string_append(out, "l3afd_chain_programs_counted{");
                append_chain_labels(out, st);
                g_string_append_printf(out, "} %d\n", st->per_program);
        }
        for (int family = 0; family < 2; family++) {
                const char *name = family == 0 ? "l3afd_program_runs_total" : "l3afd_program_run_time_seconds_total";

                append_family(out, name, "counter",
                              family == 0 ? "Packets that entered the program (its counting hop)." :
                                            "Time packets spent in the program, from entering it to entering the next "
                                            "program or leaving the chain.");
                for (guint i = 0; i < all->len; i++) {
                        const ChainStats *st = all->pdata[i];

                        for (guint j = 0; st->per_program && j < st->programs->len; j++) {
                                const ProgramStats *p = st->programs->pdata[j];

                                g_string_append_printf(out, "%s{", name);
                                append_chain_labels(out, st);
                                append_label(out, "program", p->name, false);
                                g_string_append(out, "}");
                                if (family == 0)
                                        g_string_append_printf(out, " %" PRIu64 "\n", p->runs);
                                else
                                        append_seconds(out, p->run_time_ns);
                        }
                }
        }
}

/* Declared metrics: one family per name and type, the series of every chain and program together. */
static void append_declared(GString *out, GPtrArray *all)
{
        g_autoptr(GHashTable) families = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) family_order = g_ptr_array_new();

        for (guint i = 0; i < all->len; i++) {
                const ChainStats *st = all->pdata[i];

                for (guint j = 0; j < st->samples->len; j++) {
                        const MetricSample *s = st->samples->pdata[j];
                        g_autofree char *name = metrics_family_name(s->metric, s->type);

                        if (!g_hash_table_contains(families, name)) {
                                g_ptr_array_add(family_order, (gpointer) s);
                                g_hash_table_insert(families, g_strdup(name), (gpointer) s);
                        }
                }
        }
        for (guint f = 0; f < family_order->len; f++) {
                const MetricSample *first = family_order->pdata[f];
                g_autofree char *fname = metrics_family_name(first->metric, first->type);
                g_autofree char *help = first->help ? g_strdup(first->help) :
                        g_strdup_printf("Metric %s declared in the drop-ins ([Metric %s]).", first->metric,
                                        first->metric);

                append_family(out, fname, metric_type_to_string(first->type), help);
                for (guint i = 0; i < all->len; i++) {
                        const ChainStats *st = all->pdata[i];

                        for (guint j = 0; j < st->samples->len; j++) {
                                const MetricSample *s = st->samples->pdata[j];
                                g_autofree char *name = metrics_family_name(s->metric, s->type);

                                if (!streq(name, fname))
                                        continue;
                                g_string_append_printf(out, "%s{", fname);
                                append_chain_labels(out, st);
                                append_label(out, "program", s->program, false);
                                if (s->key)
                                        append_label(out, "key", s->key, false);
                                g_string_append(out, "}");
                                append_number(out, s->value);
                        }
                }
        }
}

void metrics_format(Context *c, GString *out)
{
        static const char *const states[] = { CHAIN_STATES };
        g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) chain_stats_free);
        bool kernel = c->stats_fd >= 0;
        unsigned by_state[G_N_ELEMENTS(states)] = {};
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch)) {
                ChainStats *st;

                for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
                        if (streq(chain_state(ch), states[i]))
                                by_state[i]++;
                if (chain_stats_collect(ch, &st) >= 0) {
                        st->kernel = kernel;
                        g_ptr_array_add(all, st);
                }
        }
        g_ptr_array_sort(all, compare_stats);

        append_daemon(out, c, by_state, kernel);
        append_chains(out, all, kernel);
        if (c->settings.statistics == STATISTICS_PROGRAMS)
                append_programs(out, all);
        append_declared(out, all);
}
