/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration keys of drop-ins (with their [Companion] and [Metric NAME]
 * groups, which manifests share), AddProgram and l3afd.conf, in one table
 * (conf-parser.h); the manifest's are in src/package/manifest-keys.c. To add a key:
 * add its field to the place's struct, a row here, and its paragraph in the place's
 * man page (test-conf-keys checks that).
 */
#include <stddef.h>

#include "conf-parser.h"
#include "dropin.h"
#include "hook.h"
#include "log.h"
#include "pin-path.h"
#include "settings.h"
#include "util.h"

/* String tables as the table's enum parser takes them. */
static int xdp_mode_from(const char *s) { return xdp_mode_from_string(s); }
static int foreign_policy_from(const char *s) { return foreign_policy_from_string(s); }
static int tcx_pass_policy_from(const char *s) { return tcx_pass_policy_from_string(s); }
static int package_layout_from(const char *s) { return package_layout_from_string(s); }
static int convention_from(const char *s) { return companion_convention_from_string(s); }
static int metric_type_from(const char *s) { return metric_type_from_string(s); }
static int metric_aggregate_from(const char *s) { return metric_aggregate_from_string(s); }

static bool repository_url_is_valid(const char *s)
{
        return g_str_has_prefix(s, "file:///") || g_str_has_prefix(s, "http://") || g_str_has_prefix(s, "https://");
}

static const ConfEnum mode_enum = { xdp_mode_from, "unknown mode '%s' (one of auto, native, generic)" };
static const ConfEnum foreign_enum = { foreign_policy_from, "unknown policy '%s' (log or restore)" };
static const ConfEnum tcx_pass_enum = {
        tcx_pass_policy_from,
        "unknown value '%s' (next: TC_ACT_OK goes on to later tcx programs and tc filters; "
        "pass: TC_ACT_OK ends tcx processing)",
};
static const ConfEnum layout_enum = { package_layout_from, "unknown layout '%s' (l3afd or l3af)" };
static const ConfEnum statistics_enum = {
        statistics_mode_from_string,
        "unknown value '%s' (no; yes: the kernel counts each chain; programs: also l3afd counts each program)",
};
static const ConfEnum convention_enum = { convention_from, "'%s' is not a convention (l3afd or l3af)" };
static const ConfEnum metric_type_enum = { metric_type_from, "unknown type '%s' (counter or gauge)" };
static const ConfEnum metric_aggregate_enum = {
        metric_aggregate_from, "unknown aggregation '%s' (none: one series per key; sum: their sum)",
};
static const ConfEnum log_level_enum = { log_level_from_string, "unknown level '%s' (err, warning, notice, info, debug)" };

static const ConfCheck ifname_check = { ifname_is_valid, "'%s' is not a valid interface name" };
static const ConfCheck program_name_check = {
        program_name_is_valid,
        "'%s' is not a valid name (letters, digits, '_', '.', '-'; at most " G_STRINGIFY(PROGRAM_NAME_MAX) ")",
};
static const ConfCheck artifact_check = { artifact_name_is_valid, "'%s' is not a file name" };
static const ConfCheck codename_check = {
        codename_is_valid, "'%s' is not a distribution codename (letters, digits, '_', '.', '-')",
};
static const ConfCheck package_relative_check = {
        package_relative_path_is_valid,
        "'%s' is not a relative path inside the package (no leading '/', no '..')",
};
static const ConfCheck map_name_check = { map_name_is_valid, "'%s' is not a valid map name (" MAP_NAME_RULE ")" };
static const ConfCheck metric_field_check = {
        metric_field_is_valid, "'%s' is not a member name (letters, digits, '_'; '.' between nested members)",
};
static const ConfCheck metric_help_check = { metric_help_is_valid, "not one line of printable text" };
static const ConfCheck metric_program_check = { metric_program_is_valid, "'%s' is not a program name" };
static const ConfCheck url_check = { repository_url_is_valid, "'%s' is not a file:///, http:// or https:// URL" };

static const ConfRange priority_range = { 0, PRIORITY_MAX };
static const ConfRange fetch_retries_range = { 0, 10 };
static const ConfRange cache_keep_range = { 1, 1000 };
static const ConfRange extract_entries_range = { 1, 1000000 };

static const ConfTimespan watchdog_span = { 0, "'%s' is not a time span (e.g. 1s, 500ms, 0 to disable the sweep)" };
static const ConfTimespan idle_span = { 0, "'%s' is not a time span (e.g. 30s, 5min; 0 never exits)" };
static const ConfTimespan fetch_span = { 1000, "'%s' is not a time span of at least 1ms (e.g. 10, 2.5s, 500ms, 1min)" };

#define PROGRAM (CONF_DROPIN_PROGRAM | CONF_ADD_PROGRAM)
#define P(field) offsetof(ProgramSpec, field)
#define S(field) offsetof(Settings, field)
#define C(field) offsetof(CompanionSpec, field)
#define M(field) offsetof(MetricSpec, field)

const ConfKey conf_keys[] = {
        /* [Program] of a drop-in; Interface= and Hook= first: they name the chain later problems block.
         * AddProgram takes the interface, hook, name and priority as arguments of their own. */
        { "Interface", CONF_DROPIN_PROGRAM, config_parse_string, &ifname_check, P(ifname), 0, NULL,
          "the network interface (none for a probe on its own)" },
        /* Hook= may name a kind of probe: dropin.c reports what is missing or unknown. */
        { "Hook", CONF_DROPIN_PROGRAM, config_parse_hook, NULL, P(hook), 0, NULL,
          "xdp, tc-ingress or tc-egress; or a kind of probe" },
        { "Attach", CONF_DROPIN_PROGRAM, config_parse_string, NULL, P(attach), 0, NULL,
          "where a probe on its own attaches" },
        { "Name", CONF_DROPIN_PROGRAM, config_parse_string, &program_name_check, P(name), 0, "missing",
          "the program's name in its chain" },
        { "Priority", CONF_DROPIN_PROGRAM, config_parse_int, &priority_range, P(priority), 0, NULL,
          "0 to 65535, lower runs first" },
        { "Object", PROGRAM, config_parse_string, NULL, P(object), 0, NULL, "the BPF object file" },
        { "Package", PROGRAM, config_parse_string, NULL, P(package), 0, NULL, "a package, instead of Object=" },
        { "Version", PROGRAM, config_parse_string, NULL, P(version), 0, NULL, "the package's version" },
        { "Repository", PROGRAM, config_parse_string, NULL, P(repository), 0, NULL, "the package's repository" },
        { "Artifact", PROGRAM, config_parse_string, &artifact_check, P(artifact), 0, NULL,
          "the artifact's file name" },
        { "RepositoryLayout", PROGRAM, config_parse_enum, &layout_enum, P(layout), 0, NULL, "l3afd or l3af" },
        { "Codename", PROGRAM, config_parse_string, &codename_check, P(codename), 0, NULL,
          "the distribution directory of the l3af layout" },
        { "Folder", PROGRAM, config_parse_string, &package_relative_check, P(folder), 0, NULL,
          "where the object lies in a package without manifest" },
        { "ObjectFile", PROGRAM, config_parse_string, &package_relative_check, P(object_file), 0, NULL,
          "the object in Folder=" },
        { "AllowDowngrade", PROGRAM, config_parse_bool, NULL, P(allow_downgrade), 0, NULL,
          "may run an older version than already ran" },
        { "Entry", PROGRAM, config_parse_string, NULL, P(entry), 0, NULL, "the program in the object" },
        { "Type", PROGRAM, config_parse_string, NULL, P(type), 0, NULL, "xdp, tc, sched_cls or tcx" },
        { "NextMap", PROGRAM, config_parse_string, &map_name_check, P(next_map), 0, NULL,
          "the program's next program array" },
        { "Mode", PROGRAM, config_parse_enum, &mode_enum, P(mode), P(mode_set), NULL, "auto, native or generic" },
        { "OnForeignProgram", PROGRAM, config_parse_enum, &foreign_enum, P(on_foreign), P(on_foreign_set), NULL,
          "log or restore" },
        { "TCXPass", PROGRAM, config_parse_enum, &tcx_pass_enum, P(tcx_pass), P(tcx_pass_set), NULL,
          "next or pass" },

        /* [Companion] of a drop-in or a manifest (companion-spec.h); AddProgram takes them as Companion.KEY */
        { "ExecStart", CONF_COMPANION, config_parse_exec, NULL, C(exec), 0, "missing",
          "the executable and its arguments" },
        { "Environment", CONF_COMPANION, config_parse_environment, NULL, C(environment), 0, NULL,
          "VAR=value words" },
        { "MemoryMax", CONF_COMPANION, config_parse_memory_max, NULL, C(memory_max), 0, NULL,
          "bytes (K, M, G, T)" },
        { "CPUQuota", CONF_COMPANION, config_parse_cpu_quota, NULL, C(cpu_quota_usec), 0, NULL,
          "a percentage of one CPU" },
        { "TasksMax", CONF_COMPANION, config_parse_tasks_max, NULL, C(tasks_max), 0, NULL, "tasks" },
        { "Restart", CONF_COMPANION, config_parse_restart, NULL, C(restart), 0, NULL,
          "as systemd.service(5); on-failure" },
        { "RestartSec", CONF_COMPANION, config_parse_restart_sec, NULL, C(restart_usec), 0, NULL,
          "the wait before a restart" },
        { "User", CONF_COMPANION, config_parse_user, NULL, C(user), 0, NULL, "a user; none: a dynamic user" },
        { "PrivateNetwork", CONF_COMPANION, config_parse_yes_no, NULL, C(private_network), 0, NULL,
          "its own network namespace" },
        { "Convention", CONF_COMPANION, config_parse_enum, &convention_enum, C(convention), 0, NULL,
          "l3afd or l3af" },

        /* [Metric NAME] of a drop-in or a manifest (metric-decl.h); Map= is checked last */
        { "Map", CONF_METRIC, config_parse_string, &map_name_check, M(map), 0, NULL, "the map read" },
        { "Key", CONF_METRIC, config_parse_metric_keys, NULL, M(keys), 0, NULL, "keys separated by ';', or all" },
        { "Field", CONF_METRIC, config_parse_string, &metric_field_check, M(field), 0, NULL,
          "a member of the value" },
        { "Type", CONF_METRIC, config_parse_enum, &metric_type_enum, M(type), 0, NULL, "counter or gauge" },
        { "Aggregate", CONF_METRIC, config_parse_enum, &metric_aggregate_enum, M(aggregate), 0, NULL,
          "none or sum" },
        { "Help", CONF_METRIC, config_parse_string, &metric_help_check, M(help), 0, NULL, "one line" },
        { "Program", CONF_METRIC, config_parse_string, &metric_program_check, M(program), 0, NULL,
          "a manifest's program it reads" },

        /* [Daemon] of l3afd.conf */
        { "PinRoot", CONF_DAEMON, config_parse_path, NULL, S(pin_root), 0, NULL, "where pins live" },
        { "LogLevel", CONF_DAEMON, config_parse_enum, &log_level_enum, S(log_level), 0, NULL,
          "err, warning, notice, info or debug" },
        { "RequireSignatures", CONF_DAEMON, config_parse_bool, NULL, S(require_signatures), 0, NULL,
          "secure mode" },
        { "WatchdogIntervalSec", CONF_DAEMON, config_parse_timespan, &watchdog_span, S(watchdog_interval_usec), 0,
          NULL, "the watchdog's sweep" },
        { "OnForeignProgram", CONF_DAEMON, config_parse_enum, &foreign_enum, S(on_foreign), 0, NULL,
          "log or restore" },
        { "IdleExitSec", CONF_DAEMON, config_parse_timespan, &idle_span, S(idle_exit_usec), 0, NULL,
          "leave when idle this long" },
        { "Statistics", CONF_DAEMON, config_parse_enum, &statistics_enum, S(statistics), 0, NULL,
          "no, yes (the kernel's run counts and times of each chain) or programs (and of each program)" },

        /* [Packages] of l3afd.conf */
        { "Repository", CONF_PACKAGES, config_parse_string, &url_check, S(repository), 0, NULL,
          "the default repository" },
        { "Codename", CONF_PACKAGES, config_parse_string, &codename_check, S(codename), 0, NULL,
          "the distribution directory of the l3af layout" },
        { "TrustDirectory", CONF_PACKAGES, config_parse_path, NULL, S(trust_dir), 0, NULL,
          "certificates trusted to sign packages" },
        { "CAFile", CONF_PACKAGES, config_parse_path, NULL, S(ca_file), 0, NULL, "CAs for https" },
        { "FetchSizeMax", CONF_PACKAGES, config_parse_size, NULL, S(fetch_size_max), 0, NULL,
          "bytes of one artifact" },
        { "ConnectTimeoutSec", CONF_PACKAGES, config_parse_timespan, &fetch_span, S(connect_timeout_usec), 0, NULL,
          "connecting" },
        { "FetchTimeoutSec", CONF_PACKAGES, config_parse_timespan, &fetch_span, S(fetch_timeout_usec), 0, NULL,
          "one whole attempt" },
        { "StallTimeoutSec", CONF_PACKAGES, config_parse_timespan, &fetch_span, S(stall_timeout_usec), 0, NULL,
          "no byte received for this long" },
        { "FetchRetries", CONF_PACKAGES, config_parse_unsigned, &fetch_retries_range, S(fetch_retries), 0, NULL,
          "extra attempts after a transient failure" },
        { "CacheKeepVersions", CONF_PACKAGES, config_parse_unsigned, &cache_keep_range, S(cache_keep), 0, NULL,
          "versions kept per package" },
        { "ExtractEntriesMax", CONF_PACKAGES, config_parse_unsigned, &extract_entries_range,
          S(extract_entries_max), 0, NULL, "entries of one archive" },
        { "ExtractSizeMax", CONF_PACKAGES, config_parse_size, NULL, S(extract_size_max), 0, NULL,
          "bytes unpacked" },
        {}
};
