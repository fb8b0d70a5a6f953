using static Hl7.Fhir.Model.OperationOutcome;

namespace PttmHooks.Reading.CdsHooks;

/// <summary>One thing wrong with a request: where (a path into the body) and what.</summary>
/// <param name="Expression">The element, as a path into the JSON body (<c>context.patientId</c>); null for the whole body.</param>
/// <param name="Message">A sentence that says what is wrong and what is expected.</param>
/// <param name="Type">The FHIR issue type.</param>
public sealed record RequestIssue(string? Expression, string Message, IssueType Type = IssueType.Invalid);
