using System.Globalization;
using System.Net;
using System.Text;
using PttmHooks.Cli.Evaluate;
using PttmHooks.Clinical.Assessment;

namespace PttmHooks.Cli.Screen;

/// <summary>
/// <c>screen.csv</c>: one row per evaluated patient (RFC 4180, UTF-8). Columns: <c>patient_id</c>,
/// <c>recommendation</c>, <c>suspicion</c>, <c>indicator</c>, each criterion's state (<c>C1</c> …
/// <c>C7</c>, <c>CTEPH</c>), <c>perfusion</c> (C5's reading), <c>rapid_progression</c>, and
/// <c>key_evidence</c>: the references of the evidence that decided a criterion, space-separated.
/// A cell that starts with <c>= + - @</c>, a tab or a carriage return is prefixed with <c>'</c> so
/// that a spreadsheet shows it rather than running it as a formula (OWASP "CSV injection").
/// </summary>
internal sealed class ScreenCsv : IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Creates the file and writes the header.</summary>
    public ScreenCsv(string path)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { NewLine = "\r\n" };
        _writer.WriteLine(string.Join(',', Header));
    }

    /// <summary>The columns.</summary>
    public static IReadOnlyList<string> Header { get; } =
        ["patient_id", "recommendation", "suspicion", "indicator", .. ScreenTally.CriterionOrder.Select(Words.Of), "perfusion", "rapid_progression", "key_evidence"];

    /// <summary>Rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>Writes one patient's row.</summary>
    public void Write(string patientId, PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        string?[] cells =
        [
            patientId,
            Words.Of(assessment.Recommendation),
            Words.Of(assessment.Suspicion),
            Words.Of(assessment.Indicator),
            .. ScreenTally.CriterionOrder.Select(id => Words.Of(assessment[id].State)),
            Words.Of(assessment.Perfusion),
            assessment.RapidProgression ? "yes" : "no",
            string.Join(' ', assessment.DecisiveReferences()),
        ];
        _writer.WriteLine(string.Join(',', cells.Select(Cell)));
        Rows++;
    }

    /// <summary>One cell: quoted when it holds a comma, quote or line break; defused when a spreadsheet would run it.</summary>
    internal static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}

/// <summary>
/// <c>screen.html</c>: one self-contained page (inline style, no script, nothing fetched) with the
/// counts per criterion state and per recommendation, and the table of flagged patients. Every value
/// from the export is HTML-escaped. The flagged rows are written to a side file as they come, so
/// that memory never holds them all; the page is assembled at the end.
/// </summary>
internal sealed class ScreenHtml : IDisposable
{
    private readonly string _rowsPath;
    private readonly StreamWriter _rows;

    /// <summary>Starts the side file of flagged rows at <paramref name="rowsPath"/>.</summary>
    public ScreenHtml(string rowsPath)
    {
        _rowsPath = rowsPath;
        _rows = new StreamWriter(rowsPath, append: false, new UTF8Encoding(false), 64 * 1024);
    }

    /// <summary>Adds a flagged patient's row.</summary>
    public void AddFlagged(string patientId, PttmAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var row = new StringBuilder("<tr>");
        row.Append("<td class=\"id\">").Append(E(patientId)).Append("</td>");
        row.Append("<td>").Append(E(Words.Of(assessment.Recommendation))).Append("</td>");
        row.Append("<td>").Append(E(Words.Of(assessment.Suspicion))).Append("</td>");
        row.Append("<td class=\"").Append(E(Words.Of(assessment.Indicator))).Append("\">").Append(E(Words.Of(assessment.Indicator))).Append("</td>");
        foreach (var id in ScreenTally.CriterionOrder)
        {
            var state = Words.Of(assessment[id].State);
            row.Append("<td class=\"s ").Append(state).Append("\">").Append(id == CriterionId.C5 ? E(Words.Of(assessment.Perfusion)) : state).Append("</td>");
        }

        row.Append("<td class=\"ev\">").Append(E(string.Join(' ', assessment.DecisiveReferences()))).Append("</td></tr>");
        _rows.WriteLine(row.ToString());
    }

    /// <summary>Writes the page to <paramref name="path"/>.</summary>
    public void WritePage(string path, ScreenTally tally, ScreenRun run)
    {
        ArgumentNullException.ThrowIfNull(tally);
        ArgumentNullException.ThrowIfNull(run);
        _rows.Flush();
        using var page = new StreamWriter(path, append: false, new UTF8Encoding(false), 64 * 1024);
        page.WriteLine("<!DOCTYPE html>");
        page.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        page.WriteLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.WriteLine("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        page.WriteLine($"<title>PTTM screening at {E(EvaluationTime.Format(run.At))}</title>");
        page.WriteLine("""
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f3f3f3; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            td.id, td.ev { font-family: ui-monospace, monospace; }
            td.Met { background: #fde2e2; } td.NotMet { background: #e5f4e5; } td.Unknown { color: #777; }
            td.critical { background: #f8b4b4; font-weight: bold; } td.warning { background: #fde8b0; } td.info { background: #dde9fb; }
            .note { color: #555; }
            </style>
            """);
        page.WriteLine("</head><body>");
        page.WriteLine("<h1>PTTM screening: silent-mode review</h1>");
        page.WriteLine($"<p>Rule <b>{E(run.RuleVersion)}</b> evaluated at <b>{E(EvaluationTime.Format(run.At))}</b> on the export <b>{E(run.Folder)}</b>.</p>");
        page.WriteLine($"<p class=\"note\">Patients evaluated: those with a solid malignancy (C1), {N(tally.Evaluated)} of {N(tally.Patients)} patients in the export. " +
            "Flagged: a card would have been shown (a recommendation other than none). Identifiers appear in this file and in screen.csv only.</p>");

        page.WriteLine("<h2>Recommendations</h2>");
        page.WriteLine("<table><tr><th>recommendation</th><th>suspicion</th><th>indicator</th><th>patients</th><th>% of evaluated</th></tr>");
        foreach (var ((recommendation, suspicion, indicator), count) in tally.Outcomes.OrderByDescending(o => o.Key.Item1).ThenBy(o => o.Key.Item2).ThenByDescending(o => o.Key.Item3))
        {
            page.WriteLine($"<tr><td>{E(Words.Of(recommendation))}</td><td>{E(Words.Of(suspicion) ?? "-")}</td><td class=\"{E(Words.Of(indicator))}\">{E(Words.Of(indicator) ?? "-")}</td><td class=\"n\">{N(count)}</td><td class=\"n\">{Percent(count, tally.Evaluated)}</td></tr>");
        }

        page.WriteLine($"<tr><th colspan=\"3\">evaluated</th><th class=\"n\">{N(tally.Evaluated)}</th><th></th></tr></table>");

        page.WriteLine("<h2>Criteria</h2>");
        page.WriteLine("<table><tr><th>criterion</th><th>Met</th><th>NotMet</th><th>Unknown</th></tr>");
        foreach (var id in ScreenTally.CriterionOrder)
        {
            var title = new CriterionResult(id, CriterionState.Unknown, string.Empty, []).Title;
            page.Write($"<tr><td>{E(Words.Of(id))} {E(title)}</td>");
            foreach (var state in new[] { CriterionState.Met, CriterionState.NotMet, CriterionState.Unknown })
            {
                var count = tally.With(id, state);
                page.Write($"<td class=\"n\">{N(count)} <span class=\"note\">({Percent(count, tally.Evaluated)})</span></td>");
            }

            page.WriteLine("</tr>");
        }

        page.WriteLine("</table>");
        page.WriteLine("<p>C5 perfusion imaging: " + string.Join(", ", Enum.GetValues<PerfusionFinding>().Select(p => $"{E(Words.Of(p))} {N(tally.Perfusion.GetValueOrDefault(p))}")) +
            $". Rapid progression: {N(tally.RapidProgression)}.</p>");

        page.WriteLine($"<h2>Flagged patients ({N(tally.Flagged)})</h2>");
        page.Write("<table><tr><th>patient</th><th>recommendation</th><th>suspicion</th><th>indicator</th>");
        foreach (var id in ScreenTally.CriterionOrder)
        {
            page.Write($"<th>{E(Words.Of(id))}</th>");
        }

        page.WriteLine("<th>key evidence</th></tr>");
        page.Flush();
        _rows.Dispose();
        using (var rows = File.OpenRead(_rowsPath))
        {
            rows.CopyTo(page.BaseStream);
        }

        page.WriteLine("</table>");

        page.WriteLine("<h2>The export</h2>");
        page.WriteLine("<table><tr><th>resource type</th><th>files</th><th>lines</th><th>unreadable</th><th>other type</th><th>no patient subject</th></tr>");
        foreach (var (type, counts) in tally.Types)
        {
            page.WriteLine($"<tr><td>{E(type)}</td><td class=\"n\">{N(counts.Files)}</td><td class=\"n\">{N(counts.Lines)}</td><td class=\"n\">{N(counts.Unreadable)}</td><td class=\"n\">{N(counts.OtherType)}</td><td class=\"n\">{N(counts.Unattributed)}</td></tr>");
        }

        page.WriteLine("</table>");
        if (tally.SkippedFiles.Count > 0)
        {
            page.WriteLine($"<p class=\"note\">Files of other resource types, not read: {E(string.Join(", ", tally.SkippedFiles))}.</p>");
        }

        page.WriteLine($"<p class=\"note\">Conditions that could not be read as FHIR R4 (not judged for a malignancy): {N(tally.UnreadableConditions)}. " +
            $"Resources of evaluated patients read in part (invalid elements skipped): {N(tally.ReadInPart)}; left out as unreadable: {N(tally.UnreadableResources)}. " +
            $"Report and note attachments asked for: {N(tally.Attachments)}; could not be read: {N(tally.UnreadAttachments)}. " +
            $"Took {E(ScreenProgress.Duration(run.Elapsed))}.</p>");
        page.WriteLine("</body></html>");
    }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(long n, long of) => of == 0 ? "-" : (100.0 * n / of).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}

/// <summary>The run a report describes.</summary>
/// <param name="Folder">The export folder.</param>
/// <param name="At">The time the rule was evaluated at.</param>
/// <param name="RuleVersion">The rule's version.</param>
/// <param name="Elapsed">How long the run took.</param>
internal sealed record ScreenRun(string Folder, DateTimeOffset At, string RuleVersion, TimeSpan Elapsed);
