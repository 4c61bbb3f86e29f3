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

/* The command line, as parse_argv() leaves it. */
static Action arg_action = ACTION_RUN;
static char *arg_root, *arg_config, *arg_pin_root, *arg_bus_address;
static GPtrArray *arg_conf_dirs;  /* char*, canonical */
static bool arg_no_bus;
static LogTarget arg_log_target = LOG_TARGET_AUTO;
static int arg_log_level = -1;

static void args_done(void)
{
        g_clear_pointer(&arg_root, g_free);
        g_clear_pointer(&arg_config, g_free);
        g_clear_pointer(&arg_pin_root, g_free);
        g_clear_pointer(&arg_bus_address, g_free);
        g_clear_pointer(&arg_conf_dirs, g_ptr_array_unref);
}

static void set_path(char **arg, const char *value)
{
        g_free(*arg);
        *arg = g_canonicalize_filename(value, NULL);
}

/* Returns 0 to go on, > 0 to exit successfully (--help, --version), < 0 on a usage error. */
static int parse_argv(int argc, char **argv)
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
        int opt, r;

        arg_conf_dirs = g_ptr_array_new_with_free_func(g_free);
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("l3afd %s\n", L3AF_VERSION);
                        return 1;
                case ARG_CHECK:
                        arg_action = ACTION_CHECK;
                        break;
                case ARG_FLUSH:
                        arg_action = ACTION_FLUSH;
                        break;
                case ARG_ROOT:
                        set_path(&arg_root, optarg);
                        break;
                case ARG_CONFIG:
                        set_path(&arg_config, optarg);
                        break;
                case ARG_CONF_DIR:
                        g_ptr_array_add(arg_conf_dirs, g_canonicalize_filename(optarg, NULL));
                        break;
                case ARG_PIN_ROOT:
                        set_path(&arg_pin_root, optarg);
                        break;
                case ARG_LOG_TARGET:
                        r = log_target_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr, "Unknown log target '%s' (auto, console, journal, console+journal).\n",
                                        optarg);
                                return -EINVAL;
                        }
                        arg_log_target = r;
                        break;
                case ARG_LOG_LEVEL:
                        arg_log_level = log_level_from_string(optarg);
                        if (arg_log_level < 0) {
                                fprintf(stderr, "Unknown log level '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_BUS_ADDRESS:
                        g_free(arg_bus_address);
                        arg_bus_address = g_strdup(optarg);
                        break;
                case ARG_NO_BUS:
                        arg_no_bus = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "Unexpected argument '%s'. See --help.\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* The settings: l3afd.conf (its problems go to 'problems'), then the command line over it. */
static void load_settings(Context *c, GPtrArray *problems)
{
        settings_init(&c->settings, arg_root);
        if (arg_config) {
                g_free(c->settings.config_file);
                c->settings.config_file = g_strdup(arg_config);
        }
        (void) settings_load(&c->settings, problems);
        if (arg_pin_root) {
                g_free(c->settings.pin_root);
                c->settings.pin_root = g_strdup(arg_pin_root);
        }
        if (arg_conf_dirs->len > 0) {
                g_strfreev(c->settings.conf_dirs);
                g_ptr_array_add(arg_conf_dirs, NULL);
                c->settings.conf_dirs = (char **) g_ptr_array_free(g_steal_pointer(&arg_conf_dirs), FALSE);
        }
        c->bus_address = g_steal_pointer(&arg_bus_address);
        c->bus_disabled = arg_no_bus;
        if (arg_log_level >= 0)
                log_set_max_level(arg_log_level);
        else if (c->settings.log_level >= 0)
                log_set_max_level(c->settings.log_level);
}

/* --check: prints every problem; exit status 1 if any is an error. */
static int run_check(Context *c, GPtrArray *problems)
{
        g_autoptr(GPtrArray) plans = g_ptr_array_new_with_free_func(g_free);
        int n;

        (void) reconcile_check(&c->settings, problems, plans);
        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];
                printf("%s%s\n", p->warning ? "warning: " : "error: ", p->text);
        }
        for (guint i = 0; i < plans->len; i++)
                printf("change: %s\n", (char *) plans->pdata[i]);
        n = (int) problems_count_errors(problems);
        if (n > 0)
                printf("%d error(s).\n", n);
        else
                printf("Configuration OK.\n");
        return n > 0 ? 1 : 0;
}

/* --flush: the companions first (their programs are about to go), then every chain we can adopt. */
static int run_flush(Context *c)
{
        int r, k;

        r = reconcile_adopt(c);
        if (r < 0)
                return 1;
        k = companion_stop_all(c);
        r = reconcile_flush(c);
        if (r >= 0 && k < 0)
                r = k;
        return r < 0 ? 1 : 0;
}

static int run_daemon(Context *c, GPtrArray *problems)
{
        int r;

        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];
                log_full_errno(p->warning ? LOG_WARNING : LOG_ERR, 0, "%s", p->text);
        }
        if (problems_count_errors(problems) > 0)
                return 1;
        r = daemon_run(c);
        daemon_done(c);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        g_autoptr(GPtrArray) problems = problems_new();
        Context ctx;
        int r;

        r = parse_argv(argc, argv);
        if (r != 0) {
                args_done();
                return r > 0 ? 0 : 2;
        }
        log_open(arg_action == ACTION_CHECK ? LOG_TARGET_CONSOLE : arg_log_target);
        if (arg_log_level >= 0)
                log_set_max_level(arg_log_level);
        /* Each chain and program holds descriptors: the soft limit of 1024 is far too low for many. */
        (void) fd_limit_raise();
        libbpf_log_setup();
        r = program_setup();
        if (r < 0)
                log_warning_errno(r, "Cannot register the xdp.frags section with libbpf; such programs cannot join a chain: %m");

        context_init(&ctx);
        load_settings(&ctx, problems);
        switch (arg_action) {
        case ACTION_CHECK:
                r = run_check(&ctx, problems);
                break;
        case ACTION_FLUSH:
                r = run_flush(&ctx);
                break;
        default:
                r = run_daemon(&ctx, problems);
                break;
        }
        context_done(&ctx);
        args_done();
        return r;
}
