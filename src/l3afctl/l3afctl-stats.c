/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "bus-names.h"
#include "l3afctl-stats.h"
#include "util.h"

typedef struct Sample {
        char *program, *metric, *type, *key;
        bool keyed;
        double value;
} Sample;

typedef struct Stats {
        char *ifname, *hook;
        bool kernel;
        uint64_t generation, packets, run_time_ns;
        GPtrArray *programs;   /* char* "name\tid" */
        GHashTable *runs;      /* program name -> uint64_t[2]: runs, run_time_ns; empty when not counted */
        char *runs_note;       /* why the programs are not counted; "" when they are */
        GPtrArray *samples;    /* Sample* */
        GPtrArray *errors;     /* char* */
} Stats;

static void sample_free(Sample *s)
{
        g_free(s->program);
        g_free(s->metric);
        g_free(s->type);
        g_free(s->key);
        g_free(s);
}

static void stats_free(Stats *s)
{
        if (!s)
                return;
        g_free(s->ifname);
        g_free(s->hook);
        g_ptr_array_unref(s->programs);
        g_ptr_array_unref(s->samples);
        g_ptr_array_unref(s->errors);
        g_hash_table_unref(s->runs);
        g_free(s->runs_note);
        g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Stats, stats_free)

static int fail(const char *what, const sd_bus_error *e, int r)
{
        fprintf(stderr, "Failed to %s: %s\n", what, sd_bus_error_is_set(e) ? e->message : g_strerror(-r));
        if (sd_bus_error_has_names(e, L3AF_ERROR_NO_SUCH_CHAIN, L3AF_ERROR_NO_SUCH_INTERFACE))
                return 3;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_INVALID_ARGS))
                return 2;
        if (!sd_bus_error_is_set(e) || sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NO_REPLY))
                return 5;
        return 1;
}

/* The programs' own counts, appended to GetStatistics' reply after its first version (none from an older l3afd). */
static int read_runs(sd_bus_message *reply, Stats *s)
{
        const char *name, *note = NULL;
        uint64_t runs, ns;
        int r;

        if (sd_bus_message_at_end(reply, false) > 0) {
                s->runs_note = g_strdup("not counted: this l3afd counts no program");
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(stt)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(stt)", &name, &runs, &ns)) > 0) {
                uint64_t *v = g_new(uint64_t, 2);

                v[0] = runs;
                v[1] = ns;
                g_hash_table_replace(s->runs, g_strdup(name), v);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &note);
        if (r < 0)
                return r;
        s->runs_note = g_strdup(note);
        return 0;
}

static int get_stats(sd_bus *bus, const char *ifname, const char *hook, Stats **ret, sd_bus_error *e)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(Stats) s = g_new0(Stats, 1);
        const char *name, *metric, *type, *key;
        uint32_t id;
        int keyed, kernel, r;
        double value;

        s->ifname = g_strdup(ifname);
        s->hook = g_strdup(hook);
        s->programs = g_ptr_array_new_with_free_func(g_free);
        s->samples = g_ptr_array_new_with_free_func((GDestroyNotify) sample_free);
        s->errors = g_ptr_array_new_with_free_func(g_free);
        s->runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "GetStatistics", e, &reply, "ss",
                               ifname, hook);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bttt", &kernel, &s->generation, &s->packets, &s->run_time_ns);
        s->kernel = kernel;
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(su)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(su)", &name, &id)) > 0)
                g_ptr_array_add(s->programs, g_strdup_printf("%s\t%u", name, id));
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssbsd)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssbsd)", &name, &metric, &type, &keyed, &key, &value)) > 0) {
                Sample *x = g_new0(Sample, 1);

                *x = (Sample) { g_strdup(name), g_strdup(metric), g_strdup(type), g_strdup(key), keyed, value };
                g_ptr_array_add(s->samples, x);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0) {
                g_auto(GStrv) errors = NULL;

                r = sd_bus_message_read_strv(reply, &errors);
                for (char **x = errors; r >= 0 && x && *x; x++)
                        g_ptr_array_add(s->errors, g_strdup(*x));
        }
        r = r < 0 ? r : read_runs(reply, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Every chain, or those of IFACE, or IFACE/HOOK: as "IFACE\tHOOK". */
static int chains_to_show(sd_bus *bus, int argc, char **argv, GPtrArray **ret, sd_bus_error *e)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
        const char *ifname, *hook, *state;
        uint32_t root_id, n;
        uint64_t gen;
        int r;

        if (argc == 3) {
                g_ptr_array_add(keys, g_strdup_printf("%s\t%s", argv[1], argv[2]));
                *ret = TAKE_PTR(keys);
                return 0;
        }
        r = sd_bus_call_method(bus, L3AF_BUS_NAME, L3AF_BUS_PATH, L3AF_BUS_INTERFACE, "ListChains", e, &reply, NULL);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssuut)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sssuut)", &ifname, &hook, &state, &root_id, &n, &gen)) > 0)
                if ((argc < 2 || streq(ifname, argv[1])) && root_id != 0)
                        g_ptr_array_add(keys, g_strdup_printf("%s\t%s", ifname, hook));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(keys);
        return 0;
}

static void json_string(GString *out, const char *s)
{
        g_string_append_c(out, '"');
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c == '"' || *c == '\\')
                        g_string_append_printf(out, "\\%c", *c);
                else if (*c < 0x20)
                        g_string_append_printf(out, "\\u%04x", *c);
                else
                        g_string_append_c(out, *c);
        }
        g_string_append_c(out, '"');
}

static void json_stats(GString *out, const Stats *s)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append(out, "{\"interface\":");
        json_string(out, s->ifname);
        g_string_append(out, ",\"hook\":");
        json_string(out, s->hook);
        g_string_append_printf(out, ",\"generation\":%" PRIu64 ",\"kernel_statistics\":%s", s->generation,
                               s->kernel ? "true" : "false");
        if (s->kernel)
                g_string_append_printf(out, ",\"packets\":%" PRIu64 ",\"run_time_ns\":%" PRIu64, s->packets,
                                       s->run_time_ns);
        g_string_append(out, ",\"programs\":[");
        for (guint i = 0; i < s->programs->len; i++) {
                g_auto(GStrv) f = g_strsplit(s->programs->pdata[i], "\t", 2);

                const uint64_t *runs = g_hash_table_lookup(s->runs, f[0]);

                g_string_append(out, i ? ",{\"name\":" : "{\"name\":");
                json_string(out, f[0]);
                g_string_append_printf(out, ",\"id\":%s", f[1]);
                if (runs)
                        g_string_append_printf(out, ",\"runs\":%" PRIu64 ",\"run_time_ns\":%" PRIu64, runs[0], runs[1]);
                g_string_append(out, ",\"metrics\":[");
                for (guint j = 0, n = 0; j < s->samples->len; j++) {
                        const Sample *x = s->samples->pdata[j];

                        if (!streq(x->program, f[0]))
                                continue;
                        g_string_append(out, n++ ? ",{\"name\":" : "{\"name\":");
                        json_string(out, x->metric);
                        g_string_append(out, ",\"type\":");
                        json_string(out, x->type);
                        if (x->keyed) {
                                g_string_append(out, ",\"key\":");
                                json_string(out, x->key);
                        }
                        g_string_append_printf(out, ",\"value\":%s}", g_ascii_dtostr(buf, sizeof(buf), x->value));
                }
                g_string_append(out, "]}");
        }
        g_string_append(out, "]");
        if (!isempty(s->runs_note)) {
                g_string_append(out, ",\"programs_not_counted\":");
                json_string(out, s->runs_note);
        }
        g_string_append(out, ",\"errors\":[");
        for (guint i = 0; i < s->errors->len; i++) {
                if (i)
                        g_string_append_c(out, ',');
                json_string(out, s->errors->pdata[i]);
        }
        g_string_append(out, "]}");
}

/* The previous value of a series, for rates: "IFACE HOOK PROGRAM METRIC KEY" -> double*. */
static const double *previous(GHashTable *prev, const char *series)
{
        return prev ? g_hash_table_lookup(prev, series) : NULL;
}

static void remember(GHashTable *now, const char *series, double v)
{
        double *d;

        if (!now)
                return;
        d = g_new(double, 1);
        *d = v;
        g_hash_table_replace(now, g_strdup(series), d);
}

static char *rate_text(GHashTable *prev, const char *series, double v, double dt)
{
        const double *p = previous(prev, series);

        if (!p || dt <= 0)
                return g_strdup("-");
        return g_strdup_printf("%.1f/s", (v - *p) / dt);
}

static void print_stats(const Stats *s, bool watch, GHashTable *prev, GHashTable *now, double dt)
{
        g_autofree char *chain_series = g_strdup_printf("%s %s", s->ifname, s->hook);

        printf("%s %s  generation %" PRIu64, s->ifname, s->hook, s->generation);
        if (s->kernel) {
                g_autofree char *rate = rate_text(prev, chain_series, (double) s->packets, dt);

                printf("  packets %" PRIu64, s->packets);
                if (watch)
                        printf(" (%s)", rate);
                if (s->packets > 0)
                        printf("  %.1f ns/packet", (double) s->run_time_ns / (double) s->packets);
                remember(now, chain_series, (double) s->packets);
        } else
                printf("  (kernel statistics off: [Daemon] Statistics=no)");
        printf("\n");
        if (!isempty(s->runs_note))
                printf("  (programs %s)\n", s->runs_note);
        printf("  %-20s %-8s %12s %10s %-24s %-16s %16s%s\n", "PROGRAM", "ID", "RUNS", "NS/RUN", "METRIC", "KEY",
               "VALUE", watch ? "         RATE" : "");
        /* Rates of counters only; a gauge's change per second says little. */
        for (guint i = 0; i < s->programs->len; i++) {
                g_auto(GStrv) f = g_strsplit(s->programs->pdata[i], "\t", 2);
                const uint64_t *counted = g_hash_table_lookup(s->runs, f[0]);
                g_autofree char *runs = counted ? g_strdup_printf("%" PRIu64, counted[0]) : g_strdup("-");
                g_autofree char *per_run = !counted ? g_strdup("-") :
                                           counted[0] ? g_strdup_printf("%.1f", (double) counted[1] / counted[0]) :
                                                        g_strdup("0");
                unsigned n = 0;

                for (guint j = 0; j < s->samples->len; j++) {
                        const Sample *x = s->samples->pdata[j];
                        g_autofree char *series = NULL, *rate = NULL;
                        char buf[G_ASCII_DTOSTR_BUF_SIZE];

                        if (!streq(x->program, f[0]))
                                continue;
                        series = g_strdup_printf("%s %s %s %s %s", s->ifname, s->hook, x->program, x->metric,
                                                 x->keyed ? x->key : "");
                        rate = streq(x->type, "counter") ? rate_text(prev, series, x->value, dt) : g_strdup("");
                        printf("  %-20s %-8s %12s %10s %-24s %-16s %16s", n ? "" : f[0], n ? "" : f[1], n ? "" : runs,
                               n ? "" : per_run, x->metric, x->keyed ? x->key : "-",
                               g_ascii_formatd(buf, sizeof(buf), "%.0f", x->value));
                        if (watch)
                                printf(" %12s", rate);
                        printf("\n");
                        remember(now, series, x->value);
                        n++;
                }
                if (n == 0)
                        printf("  %-20s %-8s %12s %10s %-24s %-16s %16s\n", f[0], f[1], runs, per_run, "-", "-", "-");
        }
        for (guint i = 0; i < s->errors->len; i++)
                printf("  cannot read: %s\n", (const char *) s->errors->pdata[i]);
}

static int show_once(sd_bus *bus, int argc, char **argv, bool json, bool watch, GHashTable *prev, GHashTable *now,
                     double dt)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) keys = NULL;
        g_autoptr(GString) js = g_string_new("[");
        int r;

        r = chains_to_show(bus, argc, argv, &keys, &e);
        if (r < 0)
                return fail("list chains", &e, r);
        if (keys->len == 0 && argc == 2) {
                fprintf(stderr, "No chain on interface %s.\n", argv[1]);
                return 3;
        }
        for (guint i = 0; i < keys->len; i++) {
                g_auto(GStrv) k = g_strsplit(keys->pdata[i], "\t", 2);
                g_autoptr(Stats) s = NULL;

                r = get_stats(bus, k[0], k[1], &s, &e);
                if (r < 0)
                        return fail("read statistics", &e, r);
                if (json) {
                        if (i)
                                g_string_append_c(js, ',');
                        json_stats(js, s);
                } else {
                        if (i)
                                printf("\n");
                        print_stats(s, watch, prev, now, dt);
                }
        }
        if (json)
                printf("%s]\n", js->str);
        return 0;
}

int verb_stats(sd_bus *bus, int argc, char **argv, bool json, uint64_t watch_usec)
{
        g_autoptr(GHashTable) prev = NULL;
        int64_t last = 0;

        if (watch_usec == 0)
                return show_once(bus, argc, argv, json, false, NULL, NULL, 0);
        for (;;) {
                g_autoptr(GHashTable) now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
                int64_t t = g_get_monotonic_time();
                time_t wall = time(NULL);
                char clock[16];
                int r;

                strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&wall));
                /* Like top: home the cursor and clear the screen, then draw the whole picture. With
                 * --json, a stream instead: one document per line and refresh. */
                if (!json) {
                        printf("\033[H\033[2J");
                        printf("l3afctl stats, every %.1f s, %s (Ctrl-C to quit)\n\n", watch_usec / 1e6, clock);
                }
                r = show_once(bus, argc, argv, json, true, prev, now, last ? (t - last) / 1e6 : 0);
                fflush(stdout);
                if (r != 0)
                        return r;
                g_clear_pointer(&prev, g_hash_table_unref);
                prev = TAKE_PTR(now);
                last = t;
                g_usleep(watch_usec);
        }
}
