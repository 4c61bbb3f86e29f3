/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Daemon settings: every path l3afd uses (all below --root=DIR when given) and
 * the [Daemon] group of l3afd.conf. See l3afd.conf(5).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Statistics= of [Daemon] (l3afd.conf(5)): what l3afd counts, and so what it costs per packet. */
typedef enum StatisticsMode {
        STATISTICS_NO,           /* nothing */
        STATISTICS_CHAINS,       /* yes: the kernel's statistics (BPF_ENABLE_STATS), which count each chain's root */
        STATISTICS_PROGRAMS,     /* programs: those, and each program with a counting hop (counting.h) */
} StatisticsMode;

/* "programs", or a boolean (yes: chains). Returns a StatisticsMode, or -EINVAL. */
int statistics_mode_from_string(const char *s);

typedef struct Settings {
        char *root;              /* "" or the prefix of every default path */
        char **conf_dirs;        /* drop-in directories, highest priority first */
        char *persistent_dir;    /* where persistent API changes go: <root>/etc/l3af.d */
        char *runtime_dir_conf;  /* where runtime API changes go: <root>/run/l3af.d */
        char *config_file;       /* <root>/etc/l3af/l3afd.conf */
        char *bpffs;             /* <root>/sys/fs/bpf: mounted if it is not a bpffs */
        char *pin_root;          /* PinRoot=, <root>/sys/fs/bpf/l3af */
        char *runtime_dir;       /* <root>/run/l3af */
        char *state_dir;         /* <root>/var/lib/l3af */
        char *cache_dir;         /* <root>/var/cache/l3af */
        int log_level;           /* LogLevel=, -1: unset */
        bool require_signatures; /* RequireSignatures=, default yes (secure mode) */
        uint64_t watchdog_interval_usec; /* WatchdogIntervalSec=: the sweep; 0 disables it */
        int on_foreign;          /* OnForeignProgram= (ForeignPolicy), default log */
        uint64_t idle_exit_usec; /* IdleExitSec=: leave when idle this long; 0: never */
        int statistics;          /* Statistics= (StatisticsMode): with yes or programs, hold BPF_ENABLE_STATS
                                  * (kernel run counts and times); default no */

        /* [Packages]: fetching, trust and extraction (package.c and friends) */
        char *repository;              /* Repository=, default base URL, or NULL */
        char *codename;                /* Codename=, for the l3af layout; default VERSION_CODENAME of
                                        * os-release(5), or NULL when it has none */
        char *trust_dir;               /* TrustDirectory=, <root>/etc/l3af/trust.d */
        char *ca_file;                 /* CAFile=, for https; NULL: the system's store */
        uint64_t fetch_size_max;       /* FetchSizeMax=, bytes of one artifact */
        uint64_t connect_timeout_usec; /* ConnectTimeoutSec= */
        uint64_t fetch_timeout_usec;   /* FetchTimeoutSec=, one whole attempt */
        uint64_t stall_timeout_usec;   /* StallTimeoutSec=, no byte received for this long */
        unsigned fetch_retries;        /* FetchRetries=, extra attempts after a transient failure */
        unsigned cache_keep;           /* CacheKeepVersions=, per package */
        unsigned extract_entries_max;  /* ExtractEntriesMax= */
        uint64_t extract_size_max;     /* ExtractSizeMax=, bytes unpacked */
} Settings;

#define FETCH_SIZE_MAX_DEFAULT (64u * 1024u * 1024u)
#define CONNECT_TIMEOUT_USEC_DEFAULT (10 * G_USEC_PER_SEC)
#define FETCH_TIMEOUT_USEC_DEFAULT (300 * G_USEC_PER_SEC)
#define STALL_TIMEOUT_USEC_DEFAULT (30 * G_USEC_PER_SEC)
#define FETCH_RETRIES_DEFAULT 2u
#define CACHE_KEEP_DEFAULT 3u
#define EXTRACT_ENTRIES_MAX_DEFAULT 1000u
#define EXTRACT_SIZE_MAX_DEFAULT (256u * 1024u * 1024u)

void settings_init(Settings *s, const char *root);
void settings_done(Settings *s);

/*
 * The host's distribution codename, as L3AF picks its artifacts: VERSION_CODENAME=
 * of /etc/os-release, else of /usr/lib/os-release (os-release(5)). Returns 0 and
 * the codename, -ENOENT when neither file names a valid one.
 */
int os_release_codename(char **ret);

/* Reads config_file if it exists; problems name the file and key. */
int settings_load(Settings *s, GPtrArray *problems);
