/* Inline SVG charts (see svg_chart.h). Coordinates are in viewBox units; text sizes assume the
 * chart is shown about as wide as its viewBox. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "svg_chart.h"

#define W 560
#define H 340
#define PI 3.14159265358979323846

void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void open_svg(FILE *f, const char *cls, const char *title, int height)
{
    fprintf(f, "<svg class=\"chart %s\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "xmlns=\"http://www.w3.org/2000/svg\"><title>", cls, W, height);
    xml_text(f, title);
    fputs("</title>\n", f);
    fputs("<text class=\"chart-title\" x=\"0\" y=\"18\">", f);
    xml_text(f, title);
    fputs("</text>\n", f);
}

/* A legend row of swatches starting at (x, y), wrapping within max_x. Returns the y below. */
static double legend_row(FILE *f, const chart_groups *g, double x0, double y, double max_x)
{
    double x = x0;
    for (size_t i = 0; i < g->n; i++) {
        double w = 18 + 6.6 * (double)strlen(g->names[i]) + 14;
        if (x + w > max_x && x > x0) {
            x = x0;
            y += 18;
        }
        fprintf(f, "<g class=\"legend-item\"><rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"11\" "
                "rx=\"2\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">",
                x, y - 9, g->colors[i], x + 16, y);
        xml_text(f, g->names[i]);
        fputs("</text></g>\n", f);
        x += w;
    }
    return y + 18;
}

/* ---- donut ------------------------------------------------------------------------------------- */

static void arc_point(double cx, double cy, double r, double a, double *x, double *y)
{
    *x = cx + r * cos(a);
    *y = cy + r * sin(a);
}

/* One annular sector from angle a0 to a1 (radians, clockwise from the top). */
static void sector_path(FILE *f, double cx, double cy, double R, double r, double a0, double a1)
{
    double x0, y0, x1, y1, x2, y2, x3, y3;
    int large = a1 - a0 > PI;
    arc_point(cx, cy, R, a0, &x0, &y0);
    arc_point(cx, cy, R, a1, &x1, &y1);
    arc_point(cx, cy, r, a1, &x2, &y2);
    arc_point(cx, cy, r, a0, &x3, &y3);
    fprintf(f, "M%.2f,%.2fA%.1f,%.1f 0 %d 1 %.2f,%.2fL%.2f,%.2fA%.1f,%.1f 0 %d 0 %.2f,%.2fZ",
            x0, y0, R, R, large, x1, y1, x2, y2, r, r, large, x3, y3);
}

void svg_donut(FILE *f, const char *title, const chart_groups *g, const double *values,
               const char *center_value, const char *center_label)
{
    open_svg(f, "donut", title, H);
    double total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += values[i] > 0 ? values[i] : 0;
    const double cx = 150, cy = 185, R = 125, r = 78;
    double a = -PI / 2;
    for (size_t i = 0; i < g->n && total > 0; i++) {
        if (!(values[i] > 0))
            continue;
        double sweep = values[i] / total * 2 * PI;
        char b1[48], b2[48];
        fprintf(f, "<path class=\"slice\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1.5\" d=\"",
                g->colors[i]);
        if (sweep >= 2 * PI - 1e-9) { /* a full ring: two half sectors (one arc cannot close) */
            sector_path(f, cx, cy, R, r, a, a + PI);
            sector_path(f, cx, cy, R, r, a + PI, a + 2 * PI);
        } else {
            sector_path(f, cx, cy, R, r, a, a + sweep);
        }
        fputs("\"><title>", f);
        xml_text(f, g->names[i]);
        fprintf(f, ": %s customers (%s)</title></path>\n", fmt_int(b1, values[i]),
                fmt_percent(b2, values[i] / total));
        a += sweep;
    }
    /* the number must fit inside the hole: smaller type for long numbers */
    size_t len = strlen(center_value);
    fprintf(f, "<text class=\"center-value\" x=\"%.0f\" y=\"%.0f\"%s>", cx, cy + 4,
            len > 9 ? " style=\"font-size:18px\"" : len > 6 ? " style=\"font-size:22px\"" : "");
    xml_text(f, center_value);
    fprintf(f, "</text><text class=\"center-label\" x=\"%.0f\" y=\"%.0f\">", cx, cy + 24);
    xml_text(f, center_label);
    fputs("</text>\n", f);
    /* legend: swatch, name, count and share */
    double y = 80;
    double step = g->n > 8 ? 22 : 30;
    for (size_t i = 0; i < g->n; i++, y += step) {
        char b1[48], b2[48];
        fprintf(f, "<g class=\"legend-item\"><rect x=\"310\" y=\"%.0f\" width=\"13\" height=\"13\" "
                "rx=\"2\" fill=\"%s\"/><text class=\"legend\" x=\"331\" y=\"%.0f\">",
                y - 11, g->colors[i], y);
        xml_text(f, g->names[i]);
        fprintf(f, "</text><text class=\"legend num\" x=\"%d\" y=\"%.0f\">%s</text>"
                "<text class=\"legend share\" x=\"%d\" y=\"%.0f\">%s</text></g>\n",
                W - 64, y, fmt_int(b1, values[i]), W - 4, y,
                fmt_percent(b2, total > 0 ? values[i] / total : 0));
    }
    fputs("</svg>\n", f);
}

/* ---- axes ------------------------------------------------------------------------------------- */

/* A "nice" step (1, 2 or 5 × 10^k) for about `ticks` intervals over [0, max]. */
static double nice_step(double max, int ticks)
{
    if (!(max > 0))
        return 1;
    double raw = max / ticks;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Writes an x tick label: a "YYYY-MM" month as its name, with the year below when it differs
 * from the last labelled month's (*year, 0 before the first); anything else as it is. */
static void x_tick_label(FILE *f, double x, double y, const char *label, int *last_year)
{
    int year, month;
    char rest;
    if (sscanf(label, "%4d-%2d%c", &year, &month, &rest) == 2 && month >= 1 && month <= 12) {
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s",
                x, y, month_names[month - 1]);
        if (year != *last_year)
            fprintf(f, "<tspan x=\"%.1f\" dy=\"13\">%d</tspan>", x, year);
        *last_year = year;
        fputs("</text>\n", f);
        return;
    }
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
    xml_text(f, label);
    fputs("</text>\n", f);
}

static void axis_titles(FILE *f, double left, double right, double top, double bottom,
                        const char *x_title, const char *y_title)
{
    fprintf(f, "<text class=\"axis-title\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
            (left + right) / 2, H - 4);
    xml_text(f, x_title);
    fprintf(f, "</text>\n<text class=\"axis-title\" transform=\"translate(13 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\">", (top + bottom) / 2);
    xml_text(f, y_title);
    fputs("</text>\n", f);
}

/* ---- stacked bars ------------------------------------------------------------------------------ */

void svg_stacked_bars(FILE *f, const char *title, const char *x_title, const char *y_title,
                      size_t n_x, const char *const *x_labels, const chart_groups *g,
                      const double *values)
{
    open_svg(f, "bars", title, H);
    double top = legend_row(f, g, 0, 42, W) + 4;
    const double left = 58, right = W - 8, bottom = H - 52;
    double max = 0;
    for (size_t x = 0; x < n_x; x++) {
        double sum = 0;
        for (size_t s = 0; s < g->n; s++)
            sum += values[s * n_x + x];
        if (sum > max)
            max = sum;
    }
    double step = nice_step(max, 5);
    double ymax = max > 0 ? ceil(max / step) * step : 1;
    for (double v = 0; v <= ymax + step / 2; v += step) {
        double y = bottom - v / ymax * (bottom - top);
        char b[48];
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left, right, y, y, left - 6, y + 4, fmt_compact(b, v));
    }
    double slot = n_x ? (right - left) / (double)n_x : 0;
    double bw = slot * 0.72;
    /* label every bar while there is room (about 30 units a label), else every k-th */
    size_t every = slot > 0 ? (size_t)ceil(30.0 / slot) : 1;
    int last_year = 0;
    for (size_t x = 0; x < n_x; x++) {
        double cx = left + slot * ((double)x + 0.5);
        double y = bottom;
        /* stack from the last group (bottom) to the first (top) */
        for (size_t k = g->n; k-- > 0;) {
            double v = values[k * n_x + x];
            if (!(v > 0))
                continue;
            double h = v / ymax * (bottom - top);
            char b[48];
            fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>", cx - bw / 2, y - h, bw, h, g->colors[k]);
            xml_text(f, x_labels[x]);
            fputs(" · ", f);
            xml_text(f, g->names[k]);
            fprintf(f, ": %s</title></rect>\n", fmt_int(b, v));
            y -= h;
        }
        if (x % every == 0)
            x_tick_label(f, cx, bottom + 16, x_labels[x], &last_year);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            right, bottom, bottom);
    axis_titles(f, left, right, top, bottom, x_title, y_title);
    fputs("</svg>\n", f);
}

/* ---- scatter ------------------------------------------------------------------------------------ */

/* Log axis from 10^lo to 10^hi (whole decades). */
typedef struct logaxis {
    double lo, hi;
    double p0, p1; /* pixel positions of lo and hi */
} logaxis;

static double log_pos(const logaxis *a, double v)
{
    return a->p0 + (log10(v) - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static void log_range(logaxis *a, const double *v, size_t n)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < mn)
            mn = v[i];
        if (v[i] > mx)
            mx = v[i];
    }
    if (!(mn > 0)) {
        mn = 1;
        mx = 10;
    }
    a->lo = floor(log10(mn));
    a->hi = ceil(log10(mx));
    if (a->hi <= a->lo)
        a->hi = a->lo + 1;
}

/* Grid lines and labels at 1, 2 and 5 × each decade (labels at 2 and 5 only for short axes). */
static void log_ticks(FILE *f, const logaxis *a, int vertical, double c0, double c1)
{
    int decades = (int)(a->hi - a->lo);
    for (int d = (int)a->lo; d <= (int)a->hi; d++) {
        static const double mult[] = { 1, 2, 5 };
        for (int k = 0; k < 3; k++) {
            double v = mult[k] * pow(10, d);
            if (log10(v) > a->hi + 1e-9)
                break;
            double p = log_pos(a, v);
            int major = k == 0;
            fprintf(f, "<line class=\"%s\" ", major ? "grid" : "grid minor");
            if (vertical)
                fprintf(f, "x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", p, p, c0, c1);
            else
                fprintf(f, "x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", c0, c1, p, p);
            if (!major && decades > 2)
                continue;
            char b[48];
            fmt_compact(b, v);
            if (vertical)
                fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
                        "</text>\n", p, c0 + 16, b);
            else
                fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s"
                        "</text>\n", c0 - 6, p + 4, b);
        }
    }
}

/* A fixed pseudo-random number in [-1, 1) for point i (splitmix64). */
static double wobble(size_t i)
{
    uint64_t z = (uint64_t)i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 4503599627370496.0 - 1.0;
}

void svg_scatter(FILE *f, const char *title, const char *x_title, const char *y_title, size_t n,
                 const double *x, const double *y, const int *group, const chart_groups *g,
                 const char *note, double jitter)
{
    open_svg(f, "scatter", title, H);
    double top = legend_row(f, g, 0, 42, W) + 4;
    const double left = 58, right = W - 12, bottom = H - 52;
    logaxis ax, ay;
    log_range(&ax, x, n);
    log_range(&ay, y, n);
    ax.p0 = left + jitter + 4; /* room for jittered points at the smallest x */
    ax.p1 = right;
    ay.p0 = bottom - 4;
    ay.p1 = top;
    log_ticks(f, &ax, 1, bottom, top);
    log_ticks(f, &ay, 0, left, right);
    fputs("<g class=\"points\">\n", f);
    for (size_t k = g->n; k-- > 0;) {
        for (size_t i = 0; i < n; i++) {
            if ((size_t)group[i] != k)
                continue;
            char b1[48], b2[48];
            fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\">"
                    "<title>", log_pos(&ax, x[i]) + jitter * wobble(i), log_pos(&ay, y[i]),
                    g->colors[k]);
            xml_text(f, g->names[k]);
            fprintf(f, ": %s orders, %s</title></circle>\n", fmt_int(b1, x[i]), fmt_fixed(b2, y[i], 2));
        }
    }
    fputs("</g>\n", f);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            right, bottom, bottom);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            left, top, bottom);
    axis_titles(f, left, right, top, bottom, x_title, y_title);
    if (note) {
        fprintf(f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", right,
                bottom - 6);
        xml_text(f, note);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

/* ---- heat map ------------------------------------------------------------------------------------ */

/* Sequential blues; t in [0, 1]. */
static void blues(char *out, double t)
{
    static const double stops[][3] = { { 239, 246, 255 }, { 191, 219, 254 }, { 96, 165, 250 },
                                       { 37, 99, 235 }, { 30, 58, 138 } };
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    double pos = t * 4;
    int i = pos >= 4 ? 3 : (int)pos;
    double u = pos - i;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * u);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void svg_heatmap(FILE *f, const char *title, const char *x_title, const char *y_title,
                 size_t n_x, const char *const *x_labels, size_t n_y,
                 const char *const *y_labels, const double *values, const double *counts,
                 const char *value_name)
{
    open_svg(f, "heatmap", title, H);
    const double left = 58, top = 36, bottom = H - 52;
    const double legend_w = 90;
    double size = (bottom - top) / (double)(n_y ? n_y : 1);
    double width = size * (double)n_x;
    if (left + width > W - legend_w) {
        width = W - legend_w - left;
        size = width / (double)(n_x ? n_x : 1);
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n_x * n_y; i++)
        if (values[i] > 0) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    double llo = isfinite(lo) ? log10(lo) : 0, lhi = isfinite(hi) ? log10(hi) : 1;
    if (lhi <= llo)
        lhi = llo + 1;
    double ch = (bottom - top) / (double)(n_y ? n_y : 1);
    for (size_t yi = 0; yi < n_y; yi++) {
        for (size_t xi = 0; xi < n_x; xi++) {
            double v = values[yi * n_x + xi];
            double c = counts ? counts[yi * n_x + xi] : 0;
            double px = left + size * (double)xi, py = bottom - ch * (double)(yi + 1);
            char color[8] = "#f1f5f9";
            double t = 0;
            if (v > 0) {
                t = (log10(v) - llo) / (lhi - llo);
                blues(color, t);
            }
            char b1[48], b2[48];
            fprintf(f, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"2\"><title>", px, py, size, ch, color);
            xml_text(f, x_title);
            fprintf(f, " %s, ", x_labels[xi]);
            xml_text(f, y_title);
            fprintf(f, " %s: %s customers, %s %s</title></rect>\n", y_labels[yi], fmt_int(b1, c),
                    value_name, isnan(v) ? "–" : fmt_fixed(b2, v, 2));
            const char *ink = t > 0.55 ? "#ffffff" : "#1e293b";
            fprintf(f, "<text class=\"cell-value\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n",
                    px + size / 2, py + ch / 2 + 4, ink, isnan(v) ? "–" : fmt_compact(b1, v));
        }
    }
    for (size_t xi = 0; xi < n_x; xi++)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                left + size * ((double)xi + 0.5), bottom + 16, x_labels[xi]);
    for (size_t yi = 0; yi < n_y; yi++)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left - 6, bottom - ch * ((double)yi + 0.5) + 4, y_labels[yi]);
    axis_titles(f, left, left + width, top, bottom, x_title, y_title);
    /* colour legend: a vertical gradient with its ends labelled */
    double lx = left + width + 24;
    fputs("<defs><linearGradient id=\"heat-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", f);
    for (int k = 0; k <= 4; k++) {
        char c[8];
        blues(c, k / 4.0);
        fprintf(f, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", k * 25, c);
    }
    fputs("</linearGradient></defs>\n", f);
    char b1[48], b2[48];
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"url(#heat-scale)\"/>\n",
            lx, top + 20, bottom - top - 40);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 20, top + 26,
            isfinite(hi) ? fmt_compact(b1, hi) : "–");
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 20, bottom - 16,
            isfinite(lo) ? fmt_compact(b2, lo) : "–");
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">", lx, top + 10);
    xml_text(f, value_name);
    fputs("</text>\n</svg>\n", f);
}

/* ---- quantile boxes -------------------------------------------------------------------------------- */

void svg_quantile_boxes(FILE *f, const char *title, const char *y_title, const chart_groups *g,
                        const double *q, const double *counts)
{
    open_svg(f, "boxes", title, H);
    const double left = 58, right = W - 12, top = 40, bottom = H - 52;
    /* the axis covers the positive quantiles; smaller values sit on its floor */
    double pos[5 * 64];
    size_t m = 0;
    for (size_t i = 0; i < g->n && i < 64; i++)
        for (int k = 0; k < 5; k++)
            if (counts[i] > 0 && q[5 * i + k] > 0)
                pos[m++] = q[5 * i + k];
    logaxis ay;
    log_range(&ay, pos, m);
    ay.p0 = bottom;
    ay.p1 = top;
    log_ticks(f, &ay, 0, left, right);
    double slot = g->n ? (right - left) / (double)g->n : 0, bw = fmin(slot * 0.5, 60);
    for (size_t i = 0; i < g->n; i++) {
        double cx = left + slot * ((double)i + 0.5);
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", cx,
                bottom + 16);
        xml_text(f, g->names[i]);
        fputs("</text>\n", f);
        if (!(counts[i] > 0))
            continue;
        double y[5];
        for (int k = 0; k < 5; k++)
            y[k] = q[5 * i + k] > 0 ? log_pos(&ay, q[5 * i + k]) : bottom;
        char b[5][48], bn[48];
        fprintf(f, "<g class=\"box\"><title>");
        xml_text(f, g->names[i]);
        fprintf(f, " (%s customers): 10%% %s, 25%% %s, median %s, 75%% %s, 90%% %s</title>",
                fmt_int(bn, counts[i]), fmt_fixed(b[0], q[5 * i], 2),
                fmt_fixed(b[1], q[5 * i + 1], 2), fmt_fixed(b[2], q[5 * i + 2], 2),
                fmt_fixed(b[3], q[5 * i + 3], 2), fmt_fixed(b[4], q[5 * i + 4], 2));
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"/>", cx, cx, y[0], y[4], g->colors[i]);
        for (int k = 0; k < 5; k += 4)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"2\"/>", cx - bw / 4, cx + bw / 4, y[k], y[k], g->colors[i]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                "rx=\"2\"/>", cx - bw / 2, y[3], bw, fmax(y[1] - y[3], 1.0), g->colors[i]);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#fff\" "
                "stroke-width=\"2.5\"/></g>\n", cx - bw / 2, cx + bw / 2, y[2], y[2]);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            right, bottom, bottom);
    axis_titles(f, left, right, top, bottom, "", y_title);
    fputs("</svg>\n", f);
}

/* ---- linear scatter ---------------------------------------------------------------------------- */

void svg_scatter_linear(FILE *f, const char *title, const char *x_title, const char *y_title,
                        size_t n, const double *x, const double *y, const int *group,
                        const chart_groups *g, const char *note, double y_max)
{
    open_svg(f, "scatter", title, H);
    double top = legend_row(f, g, 0, 42, W) + 4;
    const double left = 58, right = W - 12, bottom = H - 52;
    double xmax = 0;
    for (size_t i = 0; i < n; i++)
        xmax = fmax(xmax, x[i]);
    double xs = nice_step(xmax, 6), ys = nice_step(y_max, 5);
    xmax = xmax > 0 ? ceil(xmax / xs) * xs : 1;
    char b[48];
    for (double v = 0; v <= xmax + xs / 2; v += xs) {
        double px = left + v / xmax * (right - left);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, px, top, bottom, px, bottom + 16, fmt_compact(b, v));
    }
    for (double v = 0; v <= y_max + ys / 2; v += ys) {
        double py = bottom - v / y_max * (bottom - top);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                left, right, py, py, left - 6, py + 4, v);
    }
    fputs("<g class=\"points\">\n", f);
    for (size_t k = g->n; k-- > 0;) {
        for (size_t i = 0; i < n; i++) {
            if ((size_t)group[i] != k)
                continue;
            char b1[48], b2[48];
            fprintf(f, "<circle class=\"apt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\" fill=\"%s\" "
                    "fill-opacity=\".7\"><title>", left + x[i] / xmax * (right - left),
                    bottom - y[i] / y_max * (bottom - top), g->colors[k]);
            xml_text(f, g->names[k]);
            fputs(": ", f);
            xml_text(f, x_title);
            fprintf(f, " %s, ", fmt_fixed(b1, x[i], 0));
            xml_text(f, y_title);
            fprintf(f, " %s</title></circle>\n", fmt_fixed(b2, y[i], 3));
        }
    }
    fputs("</g>\n", f);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            right, bottom, bottom);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            left, top, bottom);
    axis_titles(f, left, right, top, bottom, x_title, y_title);
    if (note) {
        fprintf(f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", right,
                bottom - 6);
        xml_text(f, note);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

/* ---- cohort retention ------------------------------------------------------------------------------ */

void svg_retention(FILE *f, const char *title, size_t n_cohorts, const char *const *labels,
                   size_t n_offsets, const double *rates, const double *sizes)
{
    open_svg(f, "retention", title, H);
    const double left = 70, top = 36, bottom = H - 52, legend_w = 70;
    size_t nx = n_offsets > 1 ? n_offsets - 1 : 1; /* offset 0 is always 100%: not drawn */
    double cw = (W - legend_w - left) / (double)nx;
    double ch = (bottom - top) / (double)(n_cohorts ? n_cohorts : 1);
    double hi = 0;
    for (size_t c = 0; c < n_cohorts; c++)
        for (size_t k = 1; k < n_offsets; k++)
            if (rates[c * n_offsets + k] > hi)
                hi = rates[c * n_offsets + k];
    if (!(hi > 0))
        hi = 1;
    for (size_t c = 0; c < n_cohorts; c++) {
        double py = top + ch * (double)c; /* the first cohort on top */
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 6,
                py + ch / 2 + 4);
        xml_text(f, labels[c]);
        fputs("</text>\n", f);
        for (size_t k = 1; k < n_offsets; k++) {
            double v = rates[c * n_offsets + k];
            if (isnan(v))
                continue;
            double px = left + cw * (double)(k - 1);
            char color[8], b1[48], b2[48];
            blues(color, v / hi);
            fprintf(f, "<rect class=\"rcell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\"><title>", px, py, cw, ch,
                    color);
            xml_text(f, labels[c]);
            fprintf(f, " cohort (%s customers), month +%zu: %s active</title></rect>\n",
                    fmt_int(b1, sizes[c]), k, fmt_percent(b2, v));
            if (cw >= 22 && ch >= 12)
                fprintf(f, "<text class=\"cell-value\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\" "
                        "style=\"font-size:10px\">%.0f</text>\n", px + cw / 2, py + ch / 2 + 3.5,
                        v / hi > 0.55 ? "#ffffff" : "#1e293b", 100 * v);
        }
    }
    for (size_t k = 1; k < n_offsets; k++)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%zu</text>\n",
                left + cw * ((double)k - 0.5), bottom + 16, k);
    axis_titles(f, left, W - legend_w, top, bottom, "months after the first purchase",
                "first-purchase month");
    double lx = W - legend_w + 20;
    fputs("<defs><linearGradient id=\"retention-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", f);
    for (int k = 0; k <= 4; k++) {
        char c[8];
        blues(c, k / 4.0);
        fprintf(f, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", k * 25, c);
    }
    fputs("</linearGradient></defs>\n", f);
    char b[48];
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" "
            "fill=\"url(#retention-scale)\"/>\n", lx, top + 20, bottom - top - 40);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 18, top + 26,
            fmt_percent(b, hi));
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">0%%</text>\n", lx + 18, bottom - 16);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">active</text>\n", lx, top + 10);
    fputs("</svg>\n", f);
}

/* ---- line ------------------------------------------------------------------------------------- */

/* Decimals that show a tick step exactly enough (0 for steps ≥ 1). */
static int step_decimals(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

void svg_line(FILE *f, const char *title, const char *x_title, const char *y_title, size_t n,
              const double *x, const double *y, size_t mark, const char *mark_label)
{
    open_svg(f, "line", title, H);
    const double left = 66, right = W - 16, top = 40, bottom = H - 52;
    double xmin = n ? x[0] : 0, xmax = n ? x[n - 1] : 1;
    if (!(xmax > xmin)) { /* one point: centre it */
        xmin -= 1;
        xmax += 1;
    }
    double ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(y[i])) {
            ymin = fmin(ymin, y[i]);
            ymax = fmax(ymax, y[i]);
        }
    }
    if (!(ymax >= ymin)) { /* nothing finite: an empty frame from 0 to 1 */
        ymin = 0;
        ymax = 1;
    }
    double ystep = nice_step(ymax - ymin > 0 ? ymax - ymin : fmax(fabs(ymax), 1), 5);
    double lo = floor(ymin / ystep) * ystep, hi = ceil(ymax / ystep) * ystep;
    if (!(hi > lo))
        hi = lo + ystep;
    int dec = step_decimals(ystep);
    char b[48], b2[48];
#define PX(v) (left + ((v) - xmin) / (xmax - xmin) * (right - left))
#define PY(v) (bottom - ((v) - lo) / (hi - lo) * (bottom - top))
    for (double v = lo; v <= hi + ystep / 2; v += ystep)
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left, right, PY(v), PY(v), left - 6, PY(v) + 4, fmt_fixed(b, v, dec));
    /* label every x while there is room (about 26 units a label), else every k-th */
    double slot = n > 1 ? (right - left) / (double)(n - 1) : right - left;
    size_t every = (size_t)ceil(26.0 / slot);
    for (size_t i = 0; i < n; i += every ? every : 1)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                PX(x[i]), bottom + 16, fmt_exact(b, x[i]));
    /* the line, broken at NaN values */
    fputs("<path class=\"line\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\" d=\"", f);
    int pen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            pen = 0;
            continue;
        }
        fprintf(f, "%s%.1f,%.1f", pen ? "L" : "M", PX(x[i]), PY(y[i]));
        pen = 1;
    }
    fputs("\"/>\n", f);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        int pick = i == mark;
        fprintf(f, "<circle class=\"lpt%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" "
                "stroke=\"#fff\"><title>", pick ? " pick" : "", PX(x[i]), PY(y[i]),
                pick ? "6" : "3.5", pick ? "#e15759" : "#4e79a7");
        xml_text(f, x_title);
        fprintf(f, " %s: ", fmt_exact(b, x[i]));
        xml_text(f, y_title);
        fprintf(f, " %s</title></circle>\n", fmt_fixed(b2, y[i], dec + 2));
        if (pick && mark_label) {
            /* above the point, or below it when it is at the top */
            double ly = PY(y[i]) - 12 < top + 4 ? PY(y[i]) + 22 : PY(y[i]) - 12;
            /* and inside the plot at either end */
            double px = PX(x[i]);
            const char *anchor = px < left + 50 ? "start" : px > right - 50 ? "end" : "middle";
            /* a white halo keeps the label readable where the line crosses it */
            fprintf(f, "<text class=\"note pick-label\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"%s\" stroke=\"#fff\" stroke-width=\"3\" "
                    "paint-order=\"stroke\">", px < left + 50 ? px + 4 : px > right - 50 ? px - 4 : px,
                    ly, anchor);
            xml_text(f, mark_label);
            fputs("</text>\n", f);
        }
    }
#undef PX
#undef PY
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            right, bottom, bottom);
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", left,
            left, top, bottom);
    axis_titles(f, left, right, top, bottom, x_title, y_title);
    fputs("</svg>\n", f);
}
