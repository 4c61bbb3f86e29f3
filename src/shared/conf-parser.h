/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tables of configuration keys and the parsers they name, in the shape of systemd's
 * conf-parser tables (src/shared/conf-parser.h): each row gives a key's name, the
 * places it is allowed, a parse callback with its argument, the offset of the field it
 * fills in the place's target struct, and a doc string. One table per library, beside
 * the structs it fills: conf_keys (conf-keys.c: drop-ins with their [Companion] and
 * [Metric NAME] groups, AddProgram, l3afd.conf) and
 * manifest_conf_keys (manifest-keys.c, in src/package: l3af-package.conf). They drive
 * the drop-in parser (dropin.c), the package manifest (manifest.c), the daemon
 * settings (settings.c), AddProgram's settings (bus-chain.c, l3afctl), companions
 * (companion-spec.c) and metrics (metric-decl.c).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain-id.h"

/* Parses a time span such as "1s", "500ms", "2.5", "1min". */
int parse_sec(const char *s, uint64_t *ret);
/* "4096", "64K", "64M", "1G" (powers of 1024) -> bytes. */
int parse_size(const char *s, uint64_t *ret);

/*
 * Where a key is allowed; a row's places all fill the same target struct, and every
 * key of a place is in one table. Each place is documented in one man page:
 * conf_place_man_page().
 */
typedef enum ConfPlace {
        CONF_DROPIN_PROGRAM   = 1 << 0,  /* [Program] of a drop-in: ProgramSpec, l3af.d(5) */
        CONF_ADD_PROGRAM      = 1 << 1,  /* AddProgram's settings (written as [Program]): org.l3af.Chain1(5) */
        CONF_MANIFEST_PACKAGE = 1 << 2,  /* [Package] of l3af-package.conf: Manifest, l3af-package(5) */
        CONF_MANIFEST_PROGRAM = 1 << 3,  /* [Program NAME] of l3af-package.conf: ManifestProgram */
        CONF_DAEMON           = 1 << 4,  /* [Daemon] of l3afd.conf: Settings, l3afd.conf(5) */
        CONF_PACKAGES         = 1 << 5,  /* [Packages] of l3afd.conf: Settings */
        CONF_COMPANION        = 1 << 6,  /* [Companion] of a drop-in or a manifest: CompanionSpec, l3af.d(5) */
        CONF_METRIC           = 1 << 7,  /* [Metric NAME] of a drop-in or a manifest: MetricSpec, l3af.d(5) */
        _CONF_PLACE_ALL       = (1 << 8) - 1,
} ConfPlace;

/* Where a problem goes, and how values are read. */
typedef struct ConfContext {
        const char *file;      /* names the file (or the manifest's origin) in messages; NULL: the
                                * error kept in *error is the bare message (a bus reply quotes the value) */
        const ChainId *chain;  /* the chain the problems block, or NULL */
        const char *group;     /* the group as written ("Program", "Program NAME", "Daemon") */
        const char *root;      /* prefix of absolute paths (--root=DIR), or NULL */
        bool strip;            /* strip white space around values before parsing */
        bool empty_is_unset;   /* an empty value counts as not given (drop-ins, manifests) */
        size_t value_max;      /* longer values are refused; 0: no limit */
        const char *value_max_message; /* the refusal: printf format of (size_t length, size_t limit), */
        bool value_max_limit_only;     /* or of (size_t limit) alone */
        bool utf8;             /* values must be valid UTF-8 */
        GPtrArray *problems;   /* Problem*: every problem is added here, or, when NULL, */
        char **error;          /* the first error is kept here as "FILE: [GROUP] KEY=: message" */
        GPtrArray *warnings;   /* and warnings as such strings here (may be NULL) */
} ConfContext;

typedef struct ConfKey ConfKey;

/*
 * Parses 'value' (never NULL) into 'field', the key's field in the target struct.
 * Returns 0, or -EINVAL after reporting the problem with conf_error(); then 'field'
 * is unchanged.
 */
typedef int (*ConfParser)(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);

struct ConfKey {
        const char *name;      /* "Interface", as written before '=' */
        unsigned places;       /* ConfPlace bits */
        ConfParser parse;
        const void *arg;       /* the parser's argument: ConfCheck, ConfEnum, ConfRange, ConfTimespan */
        size_t offset;         /* of the field in the places' target struct */
        size_t offset_given;   /* of a bool set when the key is given; 0: none */
        const char *missing;   /* the problem when the key is absent or empty; NULL: optional */
        const char *doc;       /* one line, for help texts */
};

/* A string and its check: 'message' is a printf format of the value (%s). */
typedef struct ConfCheck {
        bool (*valid)(const char *s);
        const char *message;
} ConfCheck;

/* An enum read from its string table; 'message' is a printf format of the value (%s). */
typedef struct ConfEnum {
        int (*from_string)(const char *s);
        const char *message;
} ConfEnum;

/* A list of at most 'max' items, each passing 'check'. */
typedef struct ConfList {
        ConfCheck check;
        unsigned max;
} ConfList;

/* A number from min to max, inclusive. */
typedef struct ConfRange {
        unsigned min, max;
} ConfRange;

/* A time span of at least min_usec; 'message' is a printf format of the value (%s). */
typedef struct ConfTimespan {
        uint64_t min_usec;
        const char *message;
} ConfTimespan;

/*
 * The keys of the places whose structs live in src/shared (CONF_DROPIN_PROGRAM,
 * CONF_ADD_PROGRAM, CONF_DAEMON, CONF_PACKAGES, CONF_COMPANION, CONF_METRIC), in the
 * order drop-ins are written.
 * NULL-name terminated. The manifest's: manifest_conf_keys (manifest.h).
 */
extern const ConfKey conf_keys[];

/* The row of key 'name' allowed in 'place' in 'table', or NULL. */
const ConfKey *conf_key_lookup(const ConfKey *table, ConfPlace place, const char *name);

/*
 * The keys allowed in 'place', in the order of 'table' (the one that holds that place's
 * keys), as a NULL-terminated array of borrowed names, built once and kept.
 */
const char **conf_place_keys(const ConfKey *table, ConfPlace place);

/* The man page (file name in man/, "l3af.d.5.scd") that documents the keys of 'place'. */
const char *conf_place_man_page(ConfPlace place);

/* Reports an error, or a warning, about 'key' (NULL: the group) as ctx says. */
void conf_error(const ConfContext *ctx, const char *key, const char *format, ...) __attribute__((format(printf, 3, 4)));
void conf_warning(const ConfContext *ctx, const char *key, const char *format, ...) __attribute__((format(printf, 3, 4)));

/*
 * Reads key 'k' of ctx->group from 'kf' into 'target' (the place's struct).
 * Returns 1 when it was given and parsed, 0 when it was not given (after reporting
 * k->missing, if set, as an error: then -EINVAL), -EINVAL on a bad value.
 */
int conf_parse_key(GKeyFile *kf, const ConfKey *k, const ConfContext *ctx, void *target);

/*
 * Reads every key 'table' allows in 'place' from ctx->group, but those named in
 * 'skip' (NULL-terminated, may be NULL), then warns about keys the table does not
 * know ("unknown key, ignored"). Returns 0, or -EINVAL when any value was bad (every
 * problem is reported).
 */
int conf_parse_group(GKeyFile *kf, const ConfKey *table, ConfPlace place, const ConfContext *ctx, void *target, const char *const *skip);

/* The parsers the table uses. */
int config_parse_string(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);  /* char*; arg: ConfCheck or NULL */
int config_parse_path(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);    /* char*, absolute, below ctx->root */
int config_parse_enum(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);    /* int; arg: ConfEnum */
int config_parse_bool(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);    /* bool */
int config_parse_int(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);     /* int; arg: ConfRange */
int config_parse_unsigned(const ConfContext *ctx, const ConfKey *key, const char *value, void *field); /* unsigned; arg: ConfRange */
int config_parse_timespan(const ConfContext *ctx, const ConfKey *key, const char *value, void *field); /* uint64_t usec; arg: ConfTimespan */
int config_parse_size(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);    /* uint64_t bytes, > 0 */
int config_parse_strv(const ConfContext *ctx, const ConfKey *key, const char *value, void *field);    /* char**, ';'-separated; arg: ConfList */
