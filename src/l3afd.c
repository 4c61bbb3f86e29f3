/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "bpf-util.h"
#include "context.h"
#include "daemon.h"
#include "fd-limit.h"
#include "log.h"
#include "problem.h"
#include "program.h"
#include "companion.h"
#include "reconcile.h"
#include "util.h"

typedef enum Action { ACTION_RUN, ACTION_CHECK, ACTION_FLUSH } Action;

static void help(void)
{
        printf("l3afd [OPTIONS...]\n\n"
               "Runs chains of eBPF network functions on XDP and TC hooks, as the\n"
               "drop-ins in /etc/l3af.d, /run/l3af.d and /usr/lib/l3af.d declare.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --check             Check the drop-ins (and, as root, have the kernel\n"
               "                         verify each program), list every problem, change nothing\n"
               "     --flush             Detach every chain and remove all of l3afd's pins\n"
               "     --root=DIR          Prefix every default path with DIR\n"
               "     --config=FILE       Daemon settings (default /etc/l3af/l3afd.conf)\n"
               "     --conf-dir=DIR      Read drop-ins from DIR (repeat; replaces the defaults,\n"
               "                         the first given wins on equal names)\n"
               "     --pin-root=DIR      Where pins live (default /sys/fs/bpf/l3af)\n"
               "     --log-target=TARGET auto, console, journal or console+journal\n"
               "     --log-level=LEVEL   err, warning, notice, info or debug\n"
               "     --bus-address=ADDR  Serve org.l3af.Chain1 on the bus at ADDR instead of the\n"
               "                         system bus (default: $DBUS_SYSTEM_BUS_ADDRESS, else the\n"
               "                         system bus)\n"
               "     --no-bus            Do not connect to any bus\n\n"
               "Signals: SIGHUP reloads the drop-ins; SIGTERM stops the daemon and leaves\n"
               "every chain running. See l3afd(8), l3af.d(5) and org.l3af.Chain1(5).\n");
}

int main(int argc, char **argv)
{
        enum { ARG_VERSION = 0x100, ARG_CHECK, ARG_FLUSH, ARG_ROOT, ARG_CONFIG, ARG_CONF_DIR, ARG_PIN_ROOT,
               ARG_LOG_TARGET, ARG_LOG_LEVEL, ARG_BUS_ADDRESS, ARG_NO_BUS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "check", no_argument, NULL, ARG_CHECK },
                { "flush", no_argument, NULL, ARG_FLUSH },
                { "root", required_argument, NULL, ARG_ROOT },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "conf-dir", required_argument, NULL, ARG_CONF_DIR },
                { "pin-root", required_argument, NULL, ARG_PIN_ROOT },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "no-bus", no_argument, NULL, ARG_NO_BUS },
                {}
        };
        g_autofree char *root = NULL, *config = NULL, *pin_root = NULL, *bus_address = NULL;
        bool no_bus = false;
        g_autoptr(GPtrArray) conf_dirs = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) problems = problems_new();
        LogTarget target = LOG_TARGET_AUTO;
        int log_level = -1, opt, r;
        Action action = ACTION_RUN;
        Context ctx;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("l3afd %s\n", L3AF_VERSION);
                        return 0;
                case ARG_CHECK:
                        action = ACTION_CHECK;
                        break;
                case ARG_FLUSH:
                        action = ACTION_FLUSH;
                        break;
                case ARG_ROOT:
                        g_free(root);
                        root = g_canonicalize_filename(optarg, NULL);
                        break;
                case ARG_CONFIG:
                        g_free(config);
                        config = g_canonicalize_filename(optarg, NULL);
                        break;
                case ARG_CONF_DIR:
                        g_ptr_array_add(conf_dirs, g_canonicalize_filename(optarg, NULL));
                        break;
                case ARG_PIN_ROOT:
                        g_free(pin_root);
                        pin_root = g_canonicalize_filename(optarg, NULL);
                        break;
                case ARG_LOG_TARGET:
                        r = log_target_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr, "Unknown log target '%s' (auto, console, journal, console+journal).\n",
                                        optarg);
                                return 2;
                        }
                        target = r;
                        break;
                case ARG_LOG_LEVEL:
                        log_level = log_level_from_string(optarg);
                        if (log_level < 0) {
                                fprintf(stderr, "Unknown log level '%s'.\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_BUS_ADDRESS:
                        g_free(bus_address);
                        bus_address = g_strdup(optarg);
                        break;
                case ARG_NO_BUS:
                        no_bus = true;
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'. See --help.\n", argv[optind]);
                return 2;
        }

        log_open(action == ACTION_CHECK ? LOG_TARGET_CONSOLE : target);
        if (log_level >= 0)
                log_set_max_level(log_level);
        /* Each chain and program holds descriptors: the soft limit of 1024 is far too low for many. */
        (void) fd_limit_raise();
        libbpf_log_setup();
        r = program_setup();
        if (r < 0)
                log_warning_errno(r, "Cannot register the xdp.frags section with libbpf; such programs cannot join a chain: %m");

        context_init(&ctx);
        settings_init(&ctx.settings, root);
        if (config) {
                g_free(ctx.settings.config_file);
                ctx.settings.config_file = g_strdup(config);
        }
        (void) settings_load(&ctx.settings, problems);
        if (pin_root) {
                g_free(ctx.settings.pin_root);
                ctx.settings.pin_root = g_strdup(pin_root);
        }
        if (conf_dirs->len > 0) {
                g_strfreev(ctx.settings.conf_dirs);
                g_ptr_array_add(conf_dirs, NULL);
                ctx.settings.conf_dirs = (char **) g_ptr_array_free(g_steal_pointer(&conf_dirs), FALSE);
        }
        ctx.bus_address = g_steal_pointer(&bus_address);
        ctx.bus_disabled = no_bus;
        if (log_level >= 0)
                log_set_max_level(log_level);
        else if (ctx.settings.log_level >= 0)
                log_set_max_level(ctx.settings.log_level);

        switch (action) {
        case ACTION_CHECK: {
                int n;

                (void) reconcile_check(&ctx.settings, problems);
                for (guint i = 0; i < problems->len; i++) {
                        Problem *p = problems->pdata[i];
                        printf("%s%s\n", p->warning ? "warning: " : "error: ", p->text);
                }
                n = (int) problems_count_errors(problems);
                if (n > 0)
                        printf("%d error(s).\n", n);
                else
                        printf("Configuration OK.\n");
                context_done(&ctx);
                return n > 0 ? 1 : 0;
        }
        case ACTION_FLUSH:
                r = reconcile_adopt(&ctx);
                if (r >= 0) {
                        /* The companions first: their programs are about to go. */
                        int k = companion_stop_all(&ctx);

                        r = reconcile_flush(&ctx);
                        if (r >= 0 && k < 0)
                                r = k;
                }
                context_done(&ctx);
                return r < 0 ? 1 : 0;
        default:
                for (guint i = 0; i < problems->len; i++) {
                        Problem *p = problems->pdata[i];
                        log_full_errno(p->warning ? LOG_WARNING : LOG_ERR, 0, "%s", p->text);
                }
                if (problems_count_errors(problems) > 0) {
                        context_done(&ctx);
                        return 1;
                }
                r = daemon_run(&ctx);
                context_done(&ctx);
                return r < 0 ? 1 : 0;
        }
}
