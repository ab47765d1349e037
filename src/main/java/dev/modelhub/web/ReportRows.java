package dev.modelhub.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * A variant's report as rows a person reads side by side: the parent's figure, the variant's, and
 * the change (a ratio for sizes and latency, a difference for accuracy), with whether the change is
 * for the better.
 *
 * @param label what is measured
 * @param parent the parent's figure, formatted
 * @param variant the variant's figure, formatted
 * @param change the change, formatted
 * @param better whether the variant is better on it (null when equal or unknown)
 * @param parentValue the parent's figure as a number, for the chart (null when unknown)
 * @param variantValue the variant's
 */
record ReportRows(
    String label,
    String parent,
    String variant,
    String change,
    Boolean better,
    Double parentValue,
    Double variantValue) {

  static List<ReportRows> of(JsonNode report) {
    List<ReportRows> rows = new ArrayList<>();
    if (report == null || !report.has("parent") || !report.has("variant")) {
      return rows;
    }
    JsonNode parent = report.get("parent");
    JsonNode variant = report.get("variant");
    rows.add(
        ratio(
            "size (MB)", number(parent, "sizeBytes", 1e-6), number(variant, "sizeBytes", 1e-6), 3));
    rows.add(
        ratio(
            "parameters",
            number(parent, "parameterCount", 1),
            number(variant, "parameterCount", 1),
            0));
    for (String percentile : List.of("p50", "p95")) {
      rows.add(
          ratio(
              percentile + " latency (ms)",
              number(parent.path("latencyMs"), percentile, 1),
              number(variant.path("latencyMs"), percentile, 1),
              4));
    }
    Double pa = number(parent, "accuracy", 1);
    Double va = number(variant, "accuracy", 1);
    rows.add(
        new ReportRows(
            "accuracy",
            format(pa, 4),
            format(va, 4),
            pa == null || va == null ? "—" : String.format(Locale.ROOT, "%+.4f", va - pa),
            pa == null || va == null || pa.equals(va) ? null : va > pa,
            pa,
            va));
    JsonNode agreement = report.path("agreement");
    Double top1 = number(agreement, "top1Agreement", 1);
    rows.add(
        new ReportRows(
            "agreement (top-1)",
            "—",
            top1 == null ? "—" : String.format(Locale.ROOT, "%.2f %%", top1 * 100),
            number(agreement, "maxAbsDiff", 1) == null
                ? "—"
                : String.format(Locale.ROOT, "max |Δ| %.3g", number(agreement, "maxAbsDiff", 1)),
            null,
            null,
            null));
    return rows;
  }

  /** Smaller is better for every ratio row (size, parameters, latency). */
  private static ReportRows ratio(String label, Double parent, Double variant, int digits) {
    String change = "—";
    Boolean better = null;
    if (parent != null && variant != null && parent != 0) {
      change = String.format(Locale.ROOT, "× %.2f", variant / parent);
      better = variant.equals(parent) ? null : variant < parent;
    }
    return new ReportRows(
        label, format(parent, digits), format(variant, digits), change, better, parent, variant);
  }

  private static Double number(JsonNode node, String field, double scale) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || !value.isNumber() ? null : value.asDouble() * scale;
  }

  private static String format(Double value, int digits) {
    if (value == null) {
      return "—";
    }
    return digits == 0
        ? String.format(Locale.ROOT, "%,d", Math.round(value))
        : String.format(Locale.ROOT, "%." + digits + "f", value);
  }
}
