using PttmHooks.Cli.Tests.Support;

namespace PttmHooks.Cli.Tests.Evaluate;

/// <summary>Bad input to <c>evaluate</c>: exit code 2 and a sentence that says what is wrong, never a stack trace.</summary>
public sealed class EvaluateBadInputTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string File(string name, string content)
    {
        var path = _folder[name];
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task A_missing_file() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", _folder["nothing.json"]), "no such file");

    [Fact]
    public async Task A_folder() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", _folder.Path), "is a folder");

    [Fact]
    public async Task A_file_that_is_not_json() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("x.json", "resourceType: Bundle")), "is not JSON");

    [Fact]
    public async Task A_json_array() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("x.json", "[]")), "not a FHIR Bundle or a CDS Hooks request");

    [Fact]
    public async Task A_fhir_resource_that_is_not_a_bundle() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("x.json", """{"resourceType":"Patient","id":"p1"}""")), "is a FHIR Patient, not a Bundle");

    [Fact]
    public async Task Json_that_is_neither_a_bundle_nor_a_hook_request() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("x.json", """{"patient":"p1"}""")), "neither a FHIR Bundle");

    [Fact]
    public async Task A_bundle_that_is_not_fhir() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("x.json", """{"resourceType":"Bundle","type":"collection","entry":{"resource":1}}""")), "is not a FHIR R4 Bundle");

    [Fact]
    public async Task A_bundle_whose_entry_is_an_object_names_the_element() =>
        PttmCli.AssertBadInput(
            await PttmCli.RunAsync("evaluate", File("x.json", """{"resourceType":"Bundle","type":"collection","entry":{"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/a"}}}}""")),
            "is not a FHIR R4 Bundle: Bundle.entry cannot be read");

    [Fact]
    public async Task A_bundle_that_mixes_two_patients()
    {
        var run = await PttmCli.RunAsync("evaluate", File("x.json", """
            {"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/a"},"code":{"text":"Lung adenocarcinoma"}}},
              {"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/b"},"code":{"text":"Dyspnoea"}}}]}
            """));
        PttmCli.AssertBadInput(run, "holds the resources of 2 patients");
    }

    [Fact]
    public async Task A_hook_request_with_every_problem_listed_with_its_path()
    {
        var run = await PttmCli.RunAsync("evaluate", File("hook.json", """{"hook":"order-select","hookInstance":"nope","context":{"userId":"Practitioner/1","patientId":"Patient/123"}}"""));
        PttmCli.AssertBadInput(run, "is not a valid CDS Hooks 2.0 patient-view request");
        Assert.Contains("hook: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("hookInstance: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("context.patientId: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hook_request_whose_prefetch_holds_another_patient()
    {
        var run = await PttmCli.RunAsync("evaluate", File("hook.json", """
            {"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p1"},
             "prefetch":{"conditions":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p2"}}}]}}}
            """));
        PttmCli.AssertBadInput(run, "prefetch.conditions.entry[0].resource");
    }

    [Fact]
    public async Task A_hook_request_whose_prefetch_bundle_is_not_fhir()
    {
        var run = await PttmCli.RunAsync("evaluate", File("hook.json", """
            {"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p1"},
             "prefetch":{"conditions":{"resourceType":"Bundle","type":"searchset","entry":{"resource":1}}}}
            """));
        PttmCli.AssertBadInput(run, "prefetch.conditions: prefetch.conditions is not a FHIR R4 Bundle: Bundle.entry cannot be read");
    }

    [Fact]
    public async Task A_hook_request_without_prefetch_or_fhir_server_is_incomplete_not_evaluated()
    {
        var run = await PttmCli.RunAsync("evaluate", File("hook.json", """{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p1"}}"""));
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("no fhirServer to fetch it from", run.Error, StringComparison.Ordinal);
        PttmCli.AssertNoStackTrace(run);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-01")]
    [InlineData("20/11/2026")]
    public async Task A_time_that_is_not_iso_8601(string at)
    {
        var bundle = System.IO.Path.Combine(TestFiles.Path("cases", "seed004-breast-history-hypoxaemia-vq"), "bundle.json");
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", bundle, "--at", at), $"--at '{at}' is not a time");
    }

    [Fact]
    public async Task At_case_without_a_case_file()
    {
        var bundle = File("b.json", """{"resourceType":"Bundle","type":"collection"}""");
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", bundle, "--at", "case"), "--at case needs a case.json");
    }

    [Fact]
    public async Task Neither_file_nor_fhir() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate"), "give a file");

    [Fact]
    public async Task Both_file_and_fhir() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", "x.json", "--fhir", "https://fhir.example.org/r4", "--patient", "p1"), "not both");

    [Fact]
    public async Task Fhir_without_patient() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", "--fhir", "https://fhir.example.org/r4"), "--fhir needs --patient");

    [Fact]
    public async Task Patient_without_fhir() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", File("b.json", "{}"), "--patient", "p1"), "go with --fhir");

    [Fact]
    public async Task A_patient_reference_instead_of_an_id() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", "--fhir", "https://fhir.example.org/r4", "--patient", "Patient/123"), "--patient: patientId must be the FHIR id");

    [Theory]
    [InlineData("fhir.example.org/r4", "is not a FHIR base URL")]
    [InlineData("ftp://fhir.example.org/r4", "is not a FHIR base URL")]
    [InlineData("http://fhir.example.org/r4", "is named with http")]
    public async Task A_fhir_base_that_is_not_https(string fhir, string message) =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", "--fhir", fhir, "--patient", "p1"), message);

    [Fact]
    public async Task An_unknown_option() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluate", "--bogus"), "--bogus");

    [Fact]
    public async Task An_unknown_command_is_bad_input_too() =>
        PttmCli.AssertBadInput(await PttmCli.RunAsync("evaluat"), "evaluat");
}
