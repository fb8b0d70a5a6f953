using System.Globalization;
using System.Text;
using PttmHooks.Clinical.Assessment;
using PttmHooks.Reading.CdsHooks;

namespace PttmHooks.Cli.Evaluate;

/// <summary>
/// The assessment as a plain-text table: every criterion with its state and summary, its evidence
/// under it (reference, date, value, role, finding), then the recommendation, suspicion and
/// indicator with the reasons. Plain ASCII columns, no colour and no terminal width: it reads the
/// same in a terminal, a file and a CI log. It renders the assessment's <see cref="AssessmentView"/>,
/// the model the service's card renders too.
/// </summary>
internal static class AssessmentText
{
    /// <summary>Writes <paramref name="evaluation"/> to <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, ChartEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(evaluation);
        var a = AssessmentView.Of(evaluation.Assessment);
        var r = evaluation.Record;

        output.WriteLine($"PTTM screening of patient {evaluation.PatientId ?? "(not named in the input)"}");
        Field(output, "Source", $"{Describe(evaluation.Kind)} {evaluation.Source}");
        Field(output, "Chart", $"{(r.Patient is null ? "no Patient" : "Patient")}, {Count(r.Conditions.Count, "Condition")}, {Count(r.Observations.Count, "Observation")}, {Count(r.Reports.Count, "DiagnosticReport")}");
        Field(output, "Evaluated at", evaluation.Time.ToString());
        Field(output, "Window", $"{EvaluationTime.Format(a.WindowStart)} to {EvaluationTime.Format(a.EvaluatedAt)} ({(a.EvaluatedAt - a.WindowStart).TotalDays.ToString("0.#", CultureInfo.InvariantCulture)} days)");
        Field(output, "Rule", "version " + a.RuleVersion);
        output.WriteLine();

        var titleWidth = a.Criteria.Max(c => Words.Of(c.Id).Length + 1 + c.Title.Length);
        var widths = Widths([.. a.Criteria.SelectMany(c => c.Evidence), .. a.Progression]);
        output.WriteLine($"{"Criterion".PadRight(titleWidth)}  {"State",-7}  Summary");
        output.WriteLine($"{new string('-', titleWidth)}  {new string('-', 7)}  {new string('-', 40)}");
        foreach (var criterion in a.Criteria)
        {
            var state = Words.Of(criterion.State);
            var summary = criterion.Perfusion is { } perfusion ? $"[{Words.Of(perfusion)}] {criterion.Sentence}" : criterion.Sentence;
            output.WriteLine($"{(Words.Of(criterion.Id) + " " + criterion.Title).PadRight(titleWidth)}  {state,-7}  {summary}");
            WriteEvidence(output, criterion.Evidence, widths);
        }

        if (a.Progression.Count > 0)
        {
            output.WriteLine($"{"Rapid progression".PadRight(titleWidth)}  {(a.RapidProgression ? "yes" : "no")}");
            WriteEvidence(output, a.Progression, widths);
        }

        output.WriteLine();
        Field(output, "Recommendation", evaluation.Order is { } order ? $"{Words.Of(a.Recommendation)}: {order.Text}" : "none: no card");
        Field(output, "Suspicion", Words.Of(a.Suspicion) ?? "-");
        Field(output, "Indicator", Words.Of(a.Indicator) ?? "-");
        List(output, "Why", a.Reasons.Select(x => x.Text));
        List(output, "Critical because", a.IndicatorReasons.Select(x => x.Text));
        if (a.SuggestEchocardiography)
        {
            List(output, "Also suggest", ["echocardiography (pulmonary hypertension not yet assessed)"]);
        }

        List(output, "Missing", a.Missing);
        List(output, "Differentials", a.Differentials);
        List(output, "Notes", evaluation.Notes);
    }

    private static void WriteEvidence(TextWriter output, IReadOnlyList<EvidenceRow> evidence, (int Reference, int Date, int Value, int Role) widths)
    {
        foreach (var row in evidence.Select(Row))
        {
            output.WriteLine($"    {row.Reference.PadRight(widths.Reference)}  {row.Date.PadRight(widths.Date)}  {row.Value.PadRight(widths.Value)}  {row.Role.PadRight(widths.Role)}  {row.Finding}");
        }
    }

    /// <summary>One column width for all the evidence of the table, so that every row lines up.</summary>
    private static (int Reference, int Date, int Value, int Role) Widths(IReadOnlyList<EvidenceRow> evidence)
    {
        var rows = evidence.Select(Row).ToList();
        return rows.Count == 0 ? (0, 0, 0, 0) : (
            rows.Max(x => x.Reference.Length),
            rows.Max(x => x.Date.Length),
            rows.Max(x => x.Value.Length),
            rows.Max(x => x.Role.Length));
    }

    private static (string Reference, string Date, string Value, string Role, string Finding) Row(EvidenceRow e) => (
        e.Reference,
        e.EffectiveAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-",
        Value(e),
        Words.Of(e.Role) + (e.Preliminary ? ", preliminary" : string.Empty),
        e.Note is null ? e.Finding : $"{e.Finding} ({e.Note})");

    /// <summary>The value as the resource wrote it, else as the rule converted it, else "-".</summary>
    internal static string Value(EvidenceRow evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var text = evidence.ValueAsWritten;
        if (string.IsNullOrWhiteSpace(text) && evidence.Value is { } value)
        {
            text = value.ToString("0.###", CultureInfo.InvariantCulture) + (evidence.Unit is null ? string.Empty : " " + evidence.Unit);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return "-";
        }

        text = text.ReplaceLineEndings(" ");
        return text.Length <= 24 ? text : text[..23] + "…";
    }

    private static void Field(TextWriter output, string name, string value) => output.WriteLine($"{name + ":",-18}{value}");

    private static void List(TextWriter output, string name, IEnumerable<string> items)
    {
        var first = true;
        foreach (var item in items)
        {
            output.WriteLine(first ? $"{name + ":",-18}- {item}" : $"{string.Empty,-18}- {item}");
            first = false;
        }
    }

    private static string Count(int n, string what) => n.ToString("N0", CultureInfo.InvariantCulture) + " " + what + (n == 1 ? string.Empty : "s");

    private static string Describe(ChartSourceKind kind) => kind switch
    {
        ChartSourceKind.Bundle => "FHIR Bundle",
        ChartSourceKind.HookRequest => "CDS Hooks request",
        _ => "FHIR server",
    };
}

/// <summary>
/// The assessment as a stable JSON document (<c>evaluate --json</c>). Every member is always
/// written (null when it has no value) in the order below, so that scripts can rely on the shape;
/// <c>schema</c> names its version. Values use the words of <c>samples/cases/*/case.json</c>.
/// </summary>
internal static class AssessmentDocument
{
    /// <summary>The version of the document's shape.</summary>
    public const string Schema = "pttm-hooks.evaluate/1";

    /// <summary>Writes <paramref name="evaluation"/> as JSON to <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, ChartEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(evaluation);
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions
        {
            Indented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            WriteDocument(json, evaluation);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteDocument(System.Text.Json.Utf8JsonWriter json, ChartEvaluation evaluation)
    {
        var a = evaluation.Assessment;
        var r = evaluation.Record;
        json.WriteStartObject();
        json.WriteString("schema", Schema);
        json.WriteString("patientId", evaluation.PatientId);
        json.WriteStartObject("source");
        json.WriteString("kind", evaluation.Kind switch { ChartSourceKind.Bundle => "bundle", ChartSourceKind.HookRequest => "hook-request", _ => "fhir" });
        json.WriteString("location", evaluation.Source);
        json.WriteStartObject("resources");
        json.WriteNumber("Patient", r.Patient is null ? 0 : 1);
        json.WriteNumber("Condition", r.Conditions.Count);
        json.WriteNumber("Observation", r.Observations.Count);
        json.WriteNumber("DiagnosticReport", r.Reports.Count);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("evaluatedAt", EvaluationTime.Format(a.EvaluatedAt));
        json.WriteString("evaluatedAtSource", evaluation.Time.Source);
        json.WriteString("windowStart", EvaluationTime.Format(a.WindowStart));
        json.WriteString("ruleVersion", a.RuleVersion);
        json.WriteString("recommendation", Words.Of(a.Recommendation));
        json.WriteString("suspicion", Words.Of(a.Suspicion));
        json.WriteString("indicator", Words.Of(a.Indicator));
        if (evaluation.Order is { } order)
        {
            json.WriteStartObject("order");
            json.WriteString("system", order.System);
            json.WriteString("code", order.Code);
            json.WriteString("display", order.Display);
            json.WriteString("text", order.Text);
            json.WriteString("specimen", order.SpecimenText);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("order");
        }

        json.WriteString("perfusion", Words.Of(a.Perfusion));
        json.WriteStartArray("criteria");
        foreach (var c in a.Criteria)
        {
            json.WriteStartObject();
            json.WriteString("id", Words.Of(c.Id));
            json.WriteString("title", c.Title);
            json.WriteString("state", Words.Of(c.State));
            json.WriteString("summary", c.Summary);
            WriteEvidence(json, "evidence", c.Evidence);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteBoolean("rapidProgression", a.RapidProgression);
        WriteEvidence(json, "progressionEvidence", a.ProgressionEvidence);
        WriteReasons(json, "reasons", a.Reasons);
        WriteReasons(json, "indicatorReasons", a.IndicatorReasons);
        json.WriteBoolean("suggestEchocardiography", a.SuggestEchocardiography);
        WriteStrings(json, "missing", a.Missing);
        WriteStrings(json, "differentials", a.Differentials);
        WriteStrings(json, "evidenceReferences", a.EvidenceReferences());
        WriteStrings(json, "notes", evaluation.Notes);
        json.WriteEndObject();
    }

    private static void WriteEvidence(System.Text.Json.Utf8JsonWriter json, string name, IReadOnlyList<Evidence> evidence)
    {
        json.WriteStartArray(name);
        foreach (var e in evidence)
        {
            json.WriteStartObject();
            json.WriteString("reference", e.Reference);
            json.WriteString("role", Words.Of(e.Role));
            json.WriteString("finding", e.Finding);
            json.WriteString("display", e.Display);
            json.WriteString("valueAsWritten", e.ValueAsWritten);
            if (e.Value is { } value)
            {
                json.WriteNumber("value", value);
            }
            else
            {
                json.WriteNull("value");
            }

            json.WriteString("unit", e.Unit);
            json.WriteString("effectiveAt", e.EffectiveAt is { } at ? EvaluationTime.Format(at) : null);
            json.WriteBoolean("preliminary", e.Preliminary);
            json.WriteString("note", e.Note);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteReasons(System.Text.Json.Utf8JsonWriter json, string name, IReadOnlyList<Reason> reasons)
    {
        json.WriteStartArray(name);
        foreach (var reason in reasons)
        {
            json.WriteStartObject();
            json.WriteString("code", reason.Code);
            json.WriteString("text", reason.Text);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteStrings(System.Text.Json.Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
