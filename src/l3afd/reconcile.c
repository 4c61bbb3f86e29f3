/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <sys/file.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>

#include "bpf-util.h"
#include "chain.h"
#include "companion.h"
#include "conf-files.h"
#include "fd-limit.h"
#include "log.h"
#include "map-pins.h"
#include "model.h"
#include "package.h"
#include "pin-path.h"
#include "prepare-cache.h"
#include "probe.h"
#include "problem.h"
#include "program.h"
#include "reconcile.h"
#include "standalone.h"
#include "util.h"

/* How the journal line of a tc chain going live says what its TC_ACT_OK does. */
static const char *tcx_pass_describe(TcxPassPolicy p)
{
        return p == TCX_PASS_POLICY_PASS ?
                "; TCXPass=pass: its TC_ACT_OK ends tcx processing, later tcx programs and tc filters do not see "
                "the packet" :
                "; TCXPass=next: its TC_ACT_OK goes on to later tcx programs and tc filters";
}

static char *describe_programs(const Chain *ch)
{
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < ch->instances->len; i++) {
                const Instance *inst = ch->instances->pdata[i];

                g_string_append_printf(s, "%s%s (id %u)", i ? " -> " : "", inst->name, inst->prog_id);
        }
        if (s->len == 0)
                g_string_append(s, "(empty)");
        for (guint i = 0; i < ch->probes->len; i++) {
                const Probe *p = ch->probes->pdata[i];

                if (p->kind >= 0)
                        g_string_append_printf(s, "; %s's probe %s (%s %s, link %u, id %u)", p->owner, p->program,
                                               probe_kind_to_string(p->kind), strna(p->target), p->link_id,
                                               p->prog_id);
                else
                        g_string_append_printf(s, "; %s's probe %s (link %u, id %u)", p->owner, p->program,
                                               p->link_id, p->prog_id);
        }
        return g_string_free(s, FALSE);
}

static int ensure_pin_root(const Settings *s)
{
        int r;

        r = path_is_bpffs(s->bpffs);
        if ((r == 0 || r == -ENOENT) && g_str_has_prefix(s->pin_root, s->bpffs)) {
                r = mkdir_p(s->bpffs, 0755);
                if (r < 0)
                        return log_error_errno(r, "Cannot create %s: %m", s->bpffs);
                if (mount("bpf", s->bpffs, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
                        return log_error_errno(errno, "No bpf filesystem at %s, and mounting one failed: %m", s->bpffs);
                log_info("Mounted a bpf filesystem at %s.", s->bpffs);
        }
        r = mkdir_p(s->pin_root, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create the pin root %s: %m", s->pin_root);
        r = path_is_bpffs(s->pin_root);
        if (r < 0)
                return log_error_errno(r, "Cannot check the pin root %s: %m", s->pin_root);
        if (r == 0)
                return log_error_errno(ENOTDIR, "The pin root %s is not on a bpf filesystem.", s->pin_root);
        return 0;
}

static void chain_set_error(Chain *ch, const char *error, ProblemKind kind)
{
        g_free(ch->error);
        ch->error = g_strdup(error);
        ch->error_kind = kind;
}

static void report_adopted(const Chain *ch)
{
        g_autofree char *progs = describe_programs(ch);
        LogFields f = chain_log_fields(ch, NULL);

        log_structured(LOG_INFO, 0, L3AF_MSG_CHAIN_ADOPTED, &f,
                       "Chain %s adopted from pins at generation %" PRIu64 "%s: %s", CHAIN_TEXT(ch), ch->generation,
                       chain_is_attached((Chain *) ch) ? "" : " (not attached)", progs);
}

/*
 * Adopts a pinned chain. One whose pins cannot be read (any error but
 * ENOENT) is kept as failed, with the reason, and left exactly as it is in
 * the kernel and on the bpffs: no reconcile removes or rebuilds it until an
 * adoption succeeds. Returns what chain_adopt() returned.
 */
static int adopt_chain(Chain *ch)
{
        g_autofree char *error = NULL, *text = NULL;
        LogFields f;
        int r;

        r = chain_adopt(ch, &error);
        if (r == -ENOENT)
                return r;
        if (r >= 0) {
                ch->adopt_error = 0;
                chain_set_error(ch, NULL, PROBLEM_INVALID_CONFIGURATION);
                report_adopted(ch);
                return r;
        }
        text = g_strdup_printf("not adopted, left as it is: %s", error);
        f = chain_log_fields(ch, NULL);
        /* Tried again at every reconcile: the same error is journaled once (the pin it meets may differ). */
        log_structured(ch->adopt_error == r ? LOG_DEBUG : LOG_ERR, r, L3AF_MSG_CHAIN_NOT_ADOPTED, &f,
                       "Chain %s cannot be adopted: %s. It is left exactly as it is, in the kernel and under %s, "
                       "until a reload adopts it.", CHAIN_TEXT(ch), error, ch->dir);
        ch->adopt_error = r;
        chain_set_error(ch, text, PROBLEM_INVALID_CONFIGURATION);
        return r;
}

int reconcile_adopt(Context *c)
{
        g_autoptr(GArray) ids = NULL;
        g_autoptr(GPtrArray) probes = NULL;
        FdReserve reserve;
        int r;

        r = ensure_pin_root(&c->settings);
        if (r < 0)
                return r;
        c->pin_root_fd = open(c->settings.pin_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->pin_root_fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", c->settings.pin_root);
        if (flock(c->pin_root_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(EBUSY, "Another l3afd already manages %s.", c->settings.pin_root);
                return log_error_errno(errno, "Cannot lock %s: %m", c->settings.pin_root);
        }

        r = chain_list_pinned(c->settings.pin_root, &ids);
        if (r < 0)
                return log_error_errno(r, "Cannot list %s: %m", c->settings.pin_root);
        /* Should the pins need more descriptors than there are, the daemon keeps enough to run and report. */
        (void) fd_reserve_take(&reserve);
        for (guint i = 0; i < ids->len; i++) {
                const ChainId *id = &g_array_index(ids, ChainId, i);
                g_autoptr(Chain) ch = NULL;

                ch = chain_new(c->settings.pin_root, id);
                if (adopt_chain(ch) == -ENOENT)
                        continue;
                g_hash_table_insert(c->chains, &ch->id, ch);
                TAKE_PTR(ch);
        }
        fd_reserve_release(&reserve);

        r = standalone_adopt_all(c->settings.pin_root, &probes);
        if (r < 0)
                return log_error_errno(r, "Cannot list the probes under %s: %m", c->settings.pin_root);
        while (probes->len > 0) {
                Standalone *s = g_ptr_array_steal_index(probes, 0);
                g_autofree char *what = standalone_describe(s);
                const char *extra[] = { NULL, NULL };
                g_autofree char *field = g_strdup_printf("L3AF_PROBE=%s", s->name);
                LogFields f = { .program = s->name, .extra = extra };

                extra[0] = field;
                log_structured(LOG_INFO, 0, L3AF_MSG_PROBE_ADOPTED, &f, "Probe %s adopted from pins: %s", s->name,
                               what);
                g_hash_table_insert(c->probes, s->name, s);
        }
        return 0;
}

/* Tries again to adopt the chains whose pins could not be read; returns how many it adopted. */
static unsigned readopt_failed(Context *c)
{
        g_autoptr(GPtrArray) failed = g_ptr_array_new();
        GHashTableIter it;
        unsigned adopted = 0;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                if (ch->adopt_error < 0)
                        g_ptr_array_add(failed, ch);
        for (guint i = 0; i < failed->len; i++) {
                int r;

                ch = failed->pdata[i];
                r = adopt_chain(ch);
                if (r == -ENOENT) {
                        log_info("Chain %s: what was pinned under %s was debris of an unfinished chain, and is removed.",
                                 CHAIN_TEXT(ch), ch->dir);
                        g_hash_table_remove(c->chains, &ch->id);
                } else if (r >= 0)
                        adopted++;
        }
        return adopted;
}

/* What one prepare phase did, for the journal. */
typedef struct PrepareCount {
        unsigned dropins;     /* drop-ins read (not masked) */
        unsigned unchanged;   /* of them, taken from the cache as they were */
} PrepareCount;

/*
 * One drop-in: from the cache when nothing it was prepared from changed,
 * else parsed, its package resolved, its object prepared (and kept in the
 * cache when that went without a problem). Returns the spec, or NULL when
 * it holds an error (in 'problems').
 */
static ProgramSpec *prepare_dropin(const Settings *s, PrepareCache *cache, const char *path, GHashTable *probes,
                                   GPtrArray *problems, PrepareCount *count)
{
        g_autoptr(ProgramSpec) p = prepare_cache_lookup(cache, s, path);
        g_autoptr(FileDep) dep = NULL;
        guint since = problems->len;
        const ChainId *chain;
        ProgramSpec *other;
        ChainId id;

        if (p) {
                count->unchanged++;
                if (p->package)
                        package_keep(p, program_spec_chain_id(p, &id) >= 0 ? &id : NULL);
                return TAKE_PTR(p);
        }
        if (prepare_cache_parse(path, problems, &p, &dep) < 0)
                return NULL;
        chain = program_spec_chain_id(p, &id) >= 0 ? &id : NULL;
        other = p->standalone ? g_hash_table_lookup(probes, p->name) : NULL;
        if (other) {
                problems_add(problems, false, p->source, NULL, "Program", "Name",
                             "probe '%s' is also declared by %s", p->name, other->source);
                problems_set_probe(problems, since, p->name);
                return NULL;
        }
        if ((p->package && package_resolve(s, p, chain, problems) < 0) || program_prepare(p, chain, problems) < 0) {
                problems_set_program(problems, since, p->name);
                if (p->standalone)
                        problems_set_probe(problems, since, p->name);
                return NULL;
        }
        if (problems->len == since)
                prepare_cache_store(cache, s, TAKE_PTR(dep), p);
        return TAKE_PTR(p);
}

/*
 * Reads and prepares every drop-in, through 'cache' (may be NULL); returns
 * the desired chains, and in *ret_probes the probes on their own (name ->
 * ProgramSpec).
 */
static GHashTable *load_desired(const Settings *s, PrepareCache *cache, GPtrArray *problems, GHashTable **ret_probes,
                                PrepareCount *ret_count)
{
        g_autoptr(GPtrArray) files = NULL, prepared = g_ptr_array_new_with_free_func((GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) probes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) program_spec_free);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        PrepareCount count = {};
        int r;

        r = conf_files_list(s->conf_dirs, ".conf", &files);
        if (r < 0) {
                problems_add(problems, false, NULL, NULL, NULL, NULL, "cannot list drop-in directories: %s",
                             g_strerror(-r));
                return NULL;
        }
        file_dep_round();
        package_cache_begin();
        for (guint i = 0; i < files->len; i++) {
                ConfFile *f = files->pdata[i];
                ProgramSpec *p;

                if (f->masked)
                        continue;
                count.dropins++;
                g_hash_table_add(seen, f->path);
                p = prepare_dropin(s, cache, f->path, probes, problems, &count);
                if (!p)
                        continue;
                if (p->standalone)
                        g_hash_table_insert(probes, p->name, p);
                else
                        g_ptr_array_add(prepared, p);
        }
        /* Only what this configuration references stays cached. */
        prepare_cache_retain(cache, seen);
        package_cache_sweep();
        if (ret_count)
                *ret_count = count;
        *ret_probes = TAKE_PTR(probes);
        return model_build(prepared, problems);
}

static bool chain_has_source(Chain *ch, const char *file)
{
        GHashTableIter it;
        const char *source;

        g_hash_table_iter_init(&it, ch->sources);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &source))
                if (streq(source, file))
                        return true;
        return false;
}

/* Chains that must keep their running generation, with the reasons: ChainId* -> text. */
static GHashTable *blocked_chains(Context *c, GPtrArray *problems)
{
        GHashTable *blocked = g_hash_table_new_full(chain_id_hash, chain_id_equal, g_free, g_free);

        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];
                GHashTableIter it;
                Chain *ch;

                if (p->warning || p->probe)
                        continue;
                if (p->chain_id) {
                        if (!g_hash_table_contains(blocked, p->chain_id))
                                g_hash_table_insert(blocked, g_memdup2(p->chain_id, sizeof(ChainId)), g_strdup(p->text));
                        continue;
                }
                if (!p->file)
                        continue;
                /* A file too broken to name its chain blocks the chains it contributed to. */
                g_hash_table_iter_init(&it, c->chains);
                while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                        if (chain_has_source(ch, p->file) && !g_hash_table_contains(blocked, &ch->id))
                                g_hash_table_insert(blocked, g_memdup2(&ch->id, sizeof(ChainId)), g_strdup(p->text));
        }
        return blocked;
}

static void report_problems(GPtrArray *problems)
{
        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];
                const char *extra[] = { NULL, NULL };
                g_autofree char *file = p->file ? g_strdup_printf("L3AF_DROPIN=%s", p->file) : NULL;
                LogFields f = { .extra = extra, .program = p->program };

                extra[0] = file;
                if (p->chain_id) {
                        f.interface = p->chain_id->ifname;
                        f.hook = hook_to_string(p->chain_id->hook);
                }
                log_structured(p->warning ? LOG_WARNING : LOG_ERR, 0, L3AF_MSG_CONFIG_INVALID, &f, "%s", p->text);
        }
}

/*
 * Journals a generation that went live: how the planner made it (plan.h: a
 * single splice or a new prefix, and the instances it loaded), then the
 * generation's line, with L3AF_CHANGE= and L3AF_LOADED=; and marks the chain
 * changed. 'text' is the chain's name for the journal.
 */
static void report_live(Context *c, Chain *ch, const char *text)
{
        g_autofree char *progs = describe_programs(ch), *tcx_field = NULL, *change_field = NULL, *loaded_field = NULL;
        const char *extra[] = { NULL, NULL, NULL, NULL };
        LogFields f = chain_log_fields(ch, extra);

        change_field = g_strdup_printf("L3AF_CHANGE=%s", g_str_has_prefix(strna(ch->change), "splice") ? "splice" :
                                       g_str_has_prefix(strna(ch->change), "new root") ? "new-root" : "new-prefix");
        loaded_field = g_strdup_printf("L3AF_LOADED=%u", ch->loaded);
        extra[0] = change_field;
        extra[1] = loaded_field;
        log_structured(LOG_INFO, 0, NULL, &f, "Chain %s generation %" PRIu64 ": %s, %u instance%s loaded.", text,
                       ch->generation, strna(ch->change), ch->loaded, ch->loaded == 1 ? "" : "s");
        if (ch->id.hook != HOOK_XDP) {
                tcx_field = g_strdup_printf("L3AF_TCX_PASS=%s", tcx_pass_policy_to_string(ch->tcx_pass));
                extra[2] = tcx_field;
        }
        log_structured(LOG_INFO, 0, L3AF_MSG_CHAIN_APPLIED, &f, "Chain %s generation %" PRIu64 " is live%s: %s%s",
                       text, ch->generation, ch->frags ? " (multi-buffer)" : "", progs,
                       ch->id.hook != HOOK_XDP ? tcx_pass_describe(ch->tcx_pass) : "");
        context_mark_chain_changed(c, ch, ch->generation);
}

static void apply_one(Context *c, const ChainId *id, ChainSpec *want, GHashTable *blocked, GPtrArray *problems)
{
        Chain *ch = g_hash_table_lookup(c->chains, id);
        const char *reason = g_hash_table_lookup(blocked, id);
        const char *text = CHAIN_ID_TO_STRING(id);  /* for the messages */
        g_autofree char *error = NULL;
        LogFields f;
        int r;

        if (ch && ch->adopt_error < 0) {
                /* Neither removed nor rebuilt over: what runs may be live, and is left as it is. */
                problems_add(problems, false, NULL, id, NULL, NULL, "chain %s: %s", text, ch->error);
                return;
        }
        if (reason) {
                if (!ch) {
                        ch = chain_new(c->settings.pin_root, id);
                        g_hash_table_insert(c->chains, &ch->id, ch);
                }
                chain_set_error(ch, reason, PROBLEM_INVALID_CONFIGURATION);
                f = chain_log_fields(ch, NULL);
                if (ch->root_fd >= 0)
                        log_structured(LOG_ERR, 0, L3AF_MSG_CHAIN_FAILED, &f,
                                       "Chain %s not changed, generation %" PRIu64 " keeps running: %s", text,
                                       ch->generation, reason);
                else
                        log_structured(LOG_ERR, 0, L3AF_MSG_CHAIN_FAILED, &f, "Chain %s not created: %s", text, reason);
                return;
        }

        if (!want) {
                if (!ch)
                        return;
                if (ch->root_fd >= 0) {
                        f = chain_log_fields(ch, NULL);
                        chain_remove(ch);
                        log_structured(LOG_INFO, 0, L3AF_MSG_CHAIN_REMOVED, &f,
                                       "Chain %s removed: no drop-in declares it any more.", text);
                        context_mark_chain_changed(c, ch, 0);
                }
                g_hash_table_remove(c->chains, id);
                return;
        }

        if (!ch) {
                ch = chain_new(c->settings.pin_root, &want->id);
                g_hash_table_insert(c->chains, &ch->id, ch);
        }
        ch->on_foreign = want->on_foreign >= 0 ? want->on_foreign : (ForeignPolicy) c->settings.on_foreign;
        ch->statistics = c->settings.statistics == STATISTICS_PROGRAMS;
        r = chain_apply(ch, want->programs, want->mode, want->tcx_pass, &error);
        f = chain_log_fields(ch, NULL);
        if (r == -ENODEV) {
                chain_set_error(ch, error, PROBLEM_INVALID_CONFIGURATION);
                for (guint i = 0; i < want->programs->len; i++) {
                        ProgramSpec *p = want->programs->pdata[i];
                        g_hash_table_replace(ch->sources, g_strdup(p->name), g_strdup(p->source));
                }
                problems_add(problems, true, NULL, id, NULL, NULL, "%s; the chain waits for it", error);
                log_structured(LOG_WARNING, 0, L3AF_MSG_INTERFACE_MISSING, &f,
                               "Chain %s waits: interface %s does not exist.", text, want->id.ifname);
                return;
        }
        if (r < 0) {
                guint since = problems->len;

                chain_set_error(ch, error, ch->error_kind);
                problems_add(problems, false, NULL, id, NULL, NULL, "chain %s: %s", text, error);
                problems_set_kind(problems, since, ch->error_kind);
                if (ch->root_fd >= 0)
                        log_structured(LOG_ERR, -r, L3AF_MSG_CHAIN_FAILED, &f,
                                       "Chain %s change failed, generation %" PRIu64 " keeps running: %s", text,
                                       ch->generation, error);
                else
                        log_structured(LOG_ERR, -r, L3AF_MSG_CHAIN_FAILED, &f, "Chain %s could not be created: %s",
                                       text, error);
                return;
        }
        chain_set_error(ch, NULL, PROBLEM_INVALID_CONFIGURATION);
        chain_set_metrics(ch, want->programs);
        for (guint i = 0; i < want->programs->len; i++)
                (void) package_record_applied(&c->settings, want->programs->pdata[i]);
        if (r > 0)
                report_live(c, ch, text);
}

/* Why a probe on its own must keep running as it runs: a problem names it, or its drop-in. */
static const char *probe_blocked(GPtrArray *problems, const char *name, const char *source)
{
        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];

                if (p->warning)
                        continue;
                if (streq_ptr(p->probe, name) || (!p->chain_id && !p->probe && source && streq_ptr(p->file, source)))
                        return p->text;
        }
        return NULL;
}

static void apply_probe(Context *c, const char *name, ProgramSpec *want, GPtrArray *problems)
{
        Standalone *s = g_hash_table_lookup(c->probes, name);
        g_autofree char *error = NULL, *what = NULL;
        g_autofree char *field = g_strdup_printf("L3AF_PROBE=%s", name);
        g_autofree char *file = NULL;
        const char *extra[] = { field, NULL, NULL };
        const char *reason = probe_blocked(problems, name, s ? s->source : NULL);
        LogFields f = { .program = name, .extra = extra };
        int r;

        if (reason) {
                if (s) {
                        g_free(s->error);
                        s->error = g_strdup(reason);
                }
                log_structured(LOG_ERR, 0, L3AF_MSG_PROBE_FAILED, &f, "Probe %s %s: %s", name,
                               s ? "not changed, it runs as before" : "not attached", reason);
                return;
        }
        if (!want) {
                if (!s)
                        return;
                standalone_remove(s);
                log_structured(LOG_INFO, 0, L3AF_MSG_PROBE_REMOVED, &f,
                               "Probe %s removed: no drop-in declares it any more.", name);
                g_hash_table_remove(c->probes, name);
                return;
        }
        file = g_strdup_printf("L3AF_DROPIN=%s", want->source);
        extra[1] = file;
        if (!s) {
                s = standalone_new(c->settings.pin_root, name);
                g_hash_table_insert(c->probes, s->name, s);
        }
        r = standalone_apply(s, want, &error);
        if (r < 0) {
                guint since = problems->len;

                g_free(s->error);
                s->error = g_strdup(error);
                problems_add(problems, false, want->source, NULL, NULL, NULL, "probe %s: %s", name, error);
                problems_set_probe(problems, since, name);
                log_structured(LOG_ERR, -r, L3AF_MSG_PROBE_FAILED, &f, "Probe %s %s: %s", name,
                               s->probes->len > 0 ? "not changed, it runs as before" : "not attached", error);
                if (s->probes->len == 0)
                        g_hash_table_remove(c->probes, name);
                return;
        }
        g_clear_pointer(&s->error, g_free);
        (void) package_record_applied(&c->settings, want);
        if (r > 0) {
                what = standalone_describe(s);
                log_structured(LOG_INFO, 0, L3AF_MSG_PROBE_ATTACHED, &f, "Probe %s attached: %s", name, what);
        }
}

static void apply_probes(Context *c, GHashTable *desired, GPtrArray *problems)
{
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        GHashTableIter it;
        const char *name;

        g_hash_table_iter_init(&it, c->probes);
        while (g_hash_table_iter_next(&it, (gpointer *) &name, NULL))
                g_ptr_array_add(names, g_strdup(name));
        g_hash_table_iter_init(&it, desired);
        while (g_hash_table_iter_next(&it, (gpointer *) &name, NULL))
                if (!g_hash_table_contains(c->probes, name))
                        g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_sort(names, strptr_compare);
        for (guint i = 0; i < names->len; i++)
                apply_probe(c, names->pdata[i], g_hash_table_lookup(desired, names->pdata[i]), problems);
}

/* The apply phase: on the loop, consumes 'desired' and 'problems'. */
static int reconcile_apply(Context *c, GHashTable *desired, GHashTable *probes, GPtrArray *problems)
{
        g_autoptr(GHashTable) blocked = NULL, keys = NULL;
        g_autoptr(GPtrArray) sorted = NULL;
        g_autofree bool *done = NULL;
        GHashTableIter it;
        FdReserve reserve;
        const ChainId *id;
        int r;

        (void) fd_reserve_take(&reserve);
        if (!desired) {
                report_problems(problems);
                r = -EIO;
                goto finish;
        }
        blocked = blocked_chains(c, problems);
        report_problems(problems);

        /* Copies: applying a chain may free the one whose id a key points at. */
        keys = g_hash_table_new_full(chain_id_hash, chain_id_equal, g_free, NULL);
        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, (gpointer *) &id, NULL))
                g_hash_table_add(keys, g_memdup2(id, sizeof(*id)));
        g_hash_table_iter_init(&it, desired);
        while (g_hash_table_iter_next(&it, (gpointer *) &id, NULL))
                g_hash_table_add(keys, g_memdup2(id, sizeof(*id)));

        /* A stable order makes logs and tests predictable. */
        sorted = g_ptr_array_new();
        g_hash_table_iter_init(&it, keys);
        while (g_hash_table_iter_next(&it, (gpointer *) &id, NULL))
                g_ptr_array_add(sorted, (gpointer) id);
        g_ptr_array_sort(sorted, chain_id_ptr_compare);
        /*
         * Removals first, as they release descriptors; then the chains that could not be adopted are
         * tried again, and what their pins say counts (which drop-ins they came from) before the rest
         * is applied, their removal included.
         */
        done = g_new0(bool, sorted->len);
        for (guint i = 0; i < sorted->len; i++) {
                Chain *ch = g_hash_table_lookup(c->chains, sorted->pdata[i]);

                if (g_hash_table_contains(desired, sorted->pdata[i]) || (ch && ch->adopt_error < 0))
                        continue;
                apply_one(c, sorted->pdata[i], NULL, blocked, problems);
                done[i] = true;
        }
        if (readopt_failed(c) > 0) {
                g_hash_table_unref(blocked);
                blocked = blocked_chains(c, problems);
        }
        for (guint i = 0; i < sorted->len; i++)
                if (!done[i])
                        apply_one(c, sorted->pdata[i], g_hash_table_lookup(desired, sorted->pdata[i]), blocked,
                                  problems);
        apply_probes(c, probes, problems);
        /* The companions follow the chains as they now run. */
        (void) companion_reconcile(c, desired);
        r = (int) problems_count_errors(problems);
finish:
        fd_reserve_release(&reserve);
        if (c->problems)
                g_ptr_array_unref(c->problems);
        c->problems = g_ptr_array_ref(problems);
        context_mark_reconciled(c);
        return r;
}

static int reconcile_apply_timed(Context *c, GHashTable *desired, GHashTable *probes, GPtrArray *problems)
{
        uint64_t start = g_get_monotonic_time();
        int r = reconcile_apply(c, desired, probes, problems);

        c->last_apply_usec = g_get_monotonic_time() - start;
        return r;
}

/* Asynchronous reconcile */

typedef struct PrepareJob {
        const Settings *settings;
        PrepareCache *cache;
        PrepareCount count;
        uint64_t usec;
        GHashTable *desired;
        GHashTable *probes;
        GPtrArray *problems;
        pthread_t thread;
        int efd;
        sd_event_source *source;
} PrepareJob;

static void prepare_job_free(PrepareJob *j)
{
        if (!j)
                return;
        sd_event_source_disable_unref(j->source);
        closep(&j->efd);
        if (j->desired)
                g_hash_table_unref(j->desired);
        if (j->probes)
                g_hash_table_unref(j->probes);
        if (j->problems)
                g_ptr_array_unref(j->problems);
        g_free(j);
}

static void *prepare_thread(void *userdata)
{
        PrepareJob *j = userdata;
        uint64_t one = 1, start = g_get_monotonic_time();

        j->desired = load_desired(j->settings, j->cache, j->problems, &j->probes, &j->count);
        j->usec = g_get_monotonic_time() - start;
        if (write(j->efd, &one, sizeof(one)) < 0)
                log_error_errno(errno, "Cannot signal the end of the prepare phase: %m");
        return NULL;
}

static int start_job(Context *c);

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Context *c = userdata;
        PrepareJob *j = c->job;
        g_autoptr(GArray) waiters = NULL;
        int r;

        pthread_join(j->thread, NULL);
        c->job = NULL;
        c->last_prepare_usec = j->usec;
        c->last_dropins = j->count.dropins;
        c->last_unchanged = j->count.unchanged;
        r = reconcile_apply_timed(c, j->desired, j->probes, j->problems);
        prepare_job_free(j);

        waiters = TAKE_PTR(c->waiting_running);
        c->waiting_running = g_array_new(FALSE, TRUE, sizeof(ReconcileWaiter));
        if (c->waiting_next->len > 0)
                (void) start_job(c);
        for (guint i = 0; i < waiters->len; i++) {
                ReconcileWaiter *w = &g_array_index(waiters, ReconcileWaiter, i);

                if (w->done)
                        w->done(c, r, w->userdata);
        }
        return 0;
}

static int start_job(Context *c)
{
        g_autoptr(GArray) swap = NULL;
        PrepareJob *j;
        int r;

        j = g_new0(PrepareJob, 1);
        j->settings = &c->settings;
        if (!c->prepare_cache)
                c->prepare_cache = prepare_cache_new();
        j->cache = c->prepare_cache;
        j->problems = problems_new();
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->efd < 0) {
                r = negative_errno();
                prepare_job_free(j);
                return r;
        }
        r = sd_event_add_io(c->event, &j->source, j->efd, EPOLLIN, on_job_done, c);
        if (r < 0) {
                prepare_job_free(j);
                return r;
        }
        r = -pthread_create(&j->thread, NULL, prepare_thread, j);
        if (r < 0) {
                prepare_job_free(j);
                return r;
        }
        c->job = j;
        swap = c->waiting_running;
        c->waiting_running = c->waiting_next;
        c->waiting_next = TAKE_PTR(swap);
        return 0;
}

int reconcile_request(Context *c, ReconcileDone done, void *userdata)
{
        ReconcileWaiter w = { .done = done, .userdata = userdata };
        int r;

        if (!c->waiting_next) {
                c->waiting_next = g_array_new(FALSE, TRUE, sizeof(ReconcileWaiter));
                c->waiting_running = g_array_new(FALSE, TRUE, sizeof(ReconcileWaiter));
        }
        g_array_append_val(c->waiting_next, w);
        if (c->job)
                return 0;
        r = start_job(c);
        if (r < 0) {
                g_array_set_size(c->waiting_next, c->waiting_next->len - 1);
                return log_error_errno(r, "Cannot start a reconcile: %m");
        }
        return 0;
}

bool reconcile_pending(Context *c)
{
        return c->job || (c->waiting_next && c->waiting_next->len > 0);
}

void reconcile_cancel(Context *c)
{
        if (c->job) {
                package_cancel(true);  /* a download in progress gives up at once */
                pthread_join(c->job->thread, NULL);
                package_cancel(false);
                prepare_job_free(c->job);
                c->job = NULL;
        }
        if (c->waiting_next)
                g_array_set_size(c->waiting_next, 0);
        if (c->waiting_running)
                g_array_set_size(c->waiting_running, 0);
}

/* Has the kernel load one program, unattached, and adds what it refuses; false when it says we may not. */
static bool verify_one(const ProgramSpec *p, bool frags, const ChainId *chain, GPtrArray *problems)
{
        g_autofree char *error = NULL;
        ProblemKind kind = PROBLEM_INVALID_CONFIGURATION;
        guint since = problems->len;
        int r;

        r = program_verify(p, frags, &error, &kind);
        if (r == -EPERM) {
                problems_add(problems, true, NULL, NULL, NULL, NULL,
                             "programs were not loaded, so what the verifier would refuse is not known: "
                             "not permitted to load BPF programs (run --check as root for that)");
                return false;
        }
        if (r < 0) {
                problems_add(problems, false, p->source, chain, "Program", p->package ? "Package" : "Object", "%s",
                             error);
                problems_set_program(problems, since, p->name);
                if (p->standalone)
                        problems_set_probe(problems, since, p->name);
                problems_set_kind(problems, since, kind);
        }
        return true;
}

/* Has the kernel load each program once, unattached; false once it says we may not. */
static bool check_in_kernel(const ChainSpec *cs, GPtrArray *problems)
{
        bool frags = program_chain_frags(cs->id.hook, cs->programs);

        for (guint i = 0; i < cs->programs->len; i++)
                if (!verify_one(cs->programs->pdata[i], frags, &cs->id, problems))
                        return false;
        return true;
}

/* The same for the probes on their own. */
static bool check_probes_in_kernel(GHashTable *probes, GPtrArray *problems)
{
        g_autofree const char **names = NULL;
        guint n = 0;

        names = (const char **) g_hash_table_get_keys_as_array(probes, &n);
        qsort(names, n, sizeof(*names), strptr_compare);
        for (guint i = 0; i < n; i++) {
                const ProgramSpec *p = g_hash_table_lookup(probes, names[i]);

                if (!verify_one(p, false, NULL, problems))
                        return false;
        }
        return true;
}

/* Whether an error (not a warning) is reported against chain 'id'. */
static bool chain_has_error(GPtrArray *problems, const ChainId *id)
{
        for (guint i = 0; i < problems->len; i++) {
                Problem *p = problems->pdata[i];

                if (!p->warning && p->chain_id && chain_id_equal(p->chain_id, id))
                        return true;
        }
        return false;
}

/* Says how the pinned chain would change to 'cs' (chain_predict()), when its pins can be read. */
static void predict_change(const Settings *s, const ChainSpec *cs, GPtrArray *problems, GPtrArray *plans)
{
        g_autofree char *text = NULL;
        char buf[CHAIN_ID_STRING_MAX];

        if (chain_has_error(problems, &cs->id) ||
            chain_predict(s->pin_root, &cs->id, cs->programs, cs->mode, cs->tcx_pass, &text) < 0 || !text)
                return;
        g_ptr_array_add(plans, g_strdup_printf("chain %s: %s", chain_id_to_string(&cs->id, buf), text));
}

int reconcile_check(const Settings *s, GPtrArray *problems, GPtrArray *plans)
{
        g_autoptr(GHashTable) probes = NULL;
        g_autoptr(GHashTable) desired = load_desired(s, NULL, problems, &probes, NULL);
        g_autofree const ChainId **ids = NULL;
        bool kernel = true;
        guint n = 0;

        if (!desired)
                return (int) MAX(problems_count_errors(problems), 1u);
        ids = (const ChainId **) g_hash_table_get_keys_as_array(desired, &n);
        qsort(ids, n, sizeof(*ids), chain_id_ptr_compare);
        for (guint i = 0; i < n; i++) {
                ChainSpec *cs = g_hash_table_lookup(desired, ids[i]);
                g_autofree char *dir = pin_chain_dir(s->pin_root, cs->id.ifname, cs->id.hook);

                if (if_nametoindex(cs->id.ifname) == 0)
                        problems_add(problems, true, NULL, &cs->id, NULL, NULL,
                                     "interface %s does not exist (now); the chain will wait for it", cs->id.ifname);
                if (kernel)
                        kernel = check_in_kernel(cs, problems);
                map_pins_predict(dir, &cs->id, cs->programs, problems);
                predict_change(s, cs, problems, plans);
        }
        if (kernel)
                (void) check_probes_in_kernel(probes, problems);
        return (int) problems_count_errors(problems);
}

int reconcile_flush(Context *c)
{
        GHashTableIter it;
        Standalone *s;
        Chain *ch;
        int r = 0;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch)) {
                LogFields f = chain_log_fields(ch, NULL);
                int k;

                if (ch->adopt_error < 0) {
                        /* Its link and pins could not be read, so they cannot be removed with certainty either. */
                        log_structured(LOG_ERR, ch->adopt_error, L3AF_MSG_CHAIN_NOT_ADOPTED, &f,
                                       "Chain %s not flushed: %s.", CHAIN_TEXT(ch), ch->error);
                        if (r == 0)
                                r = ch->adopt_error;
                        g_hash_table_iter_remove(&it);
                        continue;
                }
                k = chain_remove(ch);

                if (k < 0 && r == 0)
                        r = k;
                log_structured(LOG_INFO, 0, L3AF_MSG_CHAIN_REMOVED, &f, "Chain %s removed (flush).", CHAIN_TEXT(ch));
                g_hash_table_iter_remove(&it);
        }
        g_hash_table_iter_init(&it, c->probes);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &s)) {
                LogFields f = { .program = s->name };
                int k = standalone_remove(s);

                if (k < 0 && r == 0)
                        r = k;
                log_structured(LOG_INFO, 0, L3AF_MSG_PROBE_REMOVED, &f, "Probe %s removed (flush).", s->name);
                g_hash_table_iter_remove(&it);
        }
        return r;
}
