/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything l3afd measures, in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), as
 * l3afd(8) lists it: the chains' kernel statistics (stats.h), the metrics the
 * drop-ins declare, and l3afd's own counters. Names follow Prometheus'
 * conventions (https://prometheus.io/docs/practices/naming/): an l3afd_
 * prefix, base units (seconds), _total on counters, _info for labels.
 */
#pragma once

#include <glib.h>

#include "context.h"
#include "metric-decl.h"

/* The content type of metrics_format()'s text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The name a declared metric has on the endpoint: l3af_NAME, and _total for a counter. */
char *metrics_family_name(const char *name, MetricType type);

/* Appends the whole exposition to 'out'. Never fails: what cannot be read is left out. */
void metrics_format(Context *c, GString *out);
