namespace PttmHooks.Clinical.Assessment;

/// <summary>
/// The order a recommendation suggests, as terminology.md gives it: the code of the procedure, what a
/// user reads, and for cytology what specimen to take.
/// </summary>
/// <param name="System">The code system URL (SNOMED CT by default).</param>
/// <param name="Code">The code.</param>
/// <param name="Display">The code's display.</param>
/// <param name="Text">The order as a clinician names it.</param>
/// <param name="SpecimenText">The specimen to collect, when the order needs one.</param>
public sealed record OrderCode(string System, string Code, string Display, string Text, string? SpecimenText = null);
