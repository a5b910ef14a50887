/* Inline SVG charts for the HTML report: donut, stacked bars, log-log scatter and heat map.
 *
 * Every chart is one <svg> element with a viewBox (it scales with the page), a <title> for
 * screen readers, axis titles, tick labels and a legend, and no script: tooltips are SVG
 * <title> children. Marks carry a class that tests count: "slice" (donut), "bar" (bars),
 * "pt" (scatter points), "cell" (heat map cells). */
#ifndef TIER_SVG_CHART_H
#define TIER_SVG_CHART_H

#include <stddef.h>
#include <stdio.h>

/* Series or categories with their colours. */
typedef struct chart_groups {
    size_t n;
    const char *const *names;
    const char *const *colors; /* "#rrggbb" */
} chart_groups;

/* Writes text with &, <, >, " and ' escaped. */
void xml_text(FILE *f, const char *s);

/* Donut of the groups' values (slices for values > 0), legend with value and share, and a
 * centre label (e.g. "4,372" over "customers"). */
void svg_donut(FILE *f, const char *title, const chart_groups *g, const double *values,
               const char *center_value, const char *center_label);

/* Stacked bars: n_x bars, one segment per group, values[group * n_x + x]. x_labels may hold
 * "YYYY-MM" months, shown as month names with the year under January and the first bar. */
void svg_stacked_bars(FILE *f, const char *title, const char *x_title, const char *y_title,
                      size_t n_x, const char *const *x_labels, const chart_groups *g,
                      const double *values);

/* Scatter on log-log axes: n points (x, y > 0) with group[i] < g->n; drawn group by group from
 * the last to the first so the first group is on top. Each point moves sideways by up to
 * ±jitter viewBox units (a fixed pseudo-random amount per point, so output is reproducible),
 * which shows how many points share an x when x takes few values. */
void svg_scatter(FILE *f, const char *title, const char *x_title, const char *y_title, size_t n,
                 const double *x, const double *y, const int *group, const chart_groups *g,
                 const char *note, double jitter);

/* Heat map of n_x × n_y cells, values[yi * n_x + xi] (NaN = empty), with counts for the
 * tooltips; y runs upwards. The colour scale is logarithmic over the positive values. */
void svg_heatmap(FILE *f, const char *title, const char *x_title, const char *y_title,
                 size_t n_x, const char *const *x_labels, size_t n_y,
                 const char *const *y_labels, const double *values, const double *counts,
                 const char *value_name);

/* Quantile boxes on a log axis, one per group: whiskers from the 10th to the 90th percentile,
 * a box from the 25th to the 75th and a line at the median; q[5 * group + k] holds the
 * 10/25/50/75/90th percentiles, counts[group] the customers (no box when 0). Values <= 0 sit
 * on the axis floor. Each box is a <g class="box"> with the quantiles in its tooltip. */
void svg_quantile_boxes(FILE *f, const char *title, const char *y_title, const chart_groups *g,
                        const double *q, const double *counts);

/* Scatter on linear axes from 0 (x to a round maximum, y to y_max), points of class "apt". */
void svg_scatter_linear(FILE *f, const char *title, const char *x_title, const char *y_title,
                        size_t n, const double *x, const double *y, const int *group,
                        const chart_groups *g, const char *note, double y_max);

/* Cohort retention heat map: one row per cohort (the first on top), one column per month
 * offset from 1 (offset 0, always 100%, is left out), rates[cohort * n_offsets + offset] with
 * NaN for unobserved months (not drawn), sizes[cohort] for the tooltips. Linear colour scale
 * from 0 to the largest rate; cells of class "rcell". */
void svg_retention(FILE *f, const char *title, size_t n_cohorts, const char *const *labels,
                   size_t n_offsets, const double *rates, const double *sizes);

/* A line over n points (x[i], y[i]) on linear axes, x increasing (e.g. k = 2..10, every integer
 * x labelled while there is room); the y axis spans the finite values with round ticks (not
 * from 0). NaN values are not drawn and break the line. Points are circles of class "lpt" with
 * the values in their tooltips; the point at index `mark` (none if out of range) is drawn larger
 * with class "pick" and labelled `mark_label`. */
void svg_line(FILE *f, const char *title, const char *x_title, const char *y_title, size_t n,
              const double *x, const double *y, size_t mark, const char *mark_label);

#endif
