/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "problem.h"

void problem_free(Problem *p)
{
        if (!p)
                return;
        g_free(p->file);
        g_free(p->chain_id);
        g_free(p->probe);
        g_free(p->chain);
        g_free(p->text);
        g_free(p->program);
        g_free(p);
}

GPtrArray *problems_new(void)
{
        return g_ptr_array_new_with_free_func((GDestroyNotify) problem_free);
}

void problems_add(GPtrArray *problems, bool warning, const char *file, const ChainId *chain,
                  const char *group, const char *key, const char *format, ...)
{
        g_autofree char *message = NULL;
        GString *s = g_string_new(NULL);
        Problem *p = g_new0(Problem, 1);
        va_list ap;

        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);

        if (file)
                g_string_append_printf(s, "%s: ", file);
        if (group)
                g_string_append_printf(s, "[%s] ", group);
        if (key)
                g_string_append_printf(s, "%s=: ", key);
        g_string_append(s, message);

        p->file = g_strdup(file);
        if (chain) {
                p->chain_id = g_memdup2(chain, sizeof(*chain));
                p->chain = g_strdup(CHAIN_ID_TO_STRING(chain));
        }
        p->text = g_string_free(s, FALSE);
        p->warning = warning;
        g_ptr_array_add(problems, p);
}

void problems_set_program(GPtrArray *problems, guint since, const char *program)
{
        for (guint i = since; program && i < problems->len; i++) {
                Problem *p = problems->pdata[i];

                if (!p->program)
                        p->program = g_strdup(program);
        }
}

size_t problems_count_errors(GPtrArray *problems)
{
        size_t n = 0;

        for (guint i = 0; problems && i < problems->len; i++)
                if (!((Problem *) problems->pdata[i])->warning)
                        n++;
        return n;
}

void problems_set_kind(GPtrArray *problems, guint since, ProblemKind kind)
{
        for (guint i = since; i < problems->len; i++)
                ((Problem *) problems->pdata[i])->kind = kind;
}

void problems_set_probe(GPtrArray *problems, guint since, const char *probe)
{
        for (guint i = since; probe && i < problems->len; i++) {
                Problem *p = problems->pdata[i];

                if (!p->chain_id && !p->probe) {
                        p->probe = g_strdup(probe);
                        p->chain = g_strdup_printf("probe:%s", probe);
                }
        }
}
