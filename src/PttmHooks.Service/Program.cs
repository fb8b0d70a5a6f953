using PttmHooks.Service.ApiDocs;
using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Hosting;
using PttmHooks.Service.Telemetry;
using PttmHooks.Service.Viewer;

var builder = WebApplication.CreateBuilder(args);
builder.AddPttmHooks();
builder.AddStartupFailures();
builder.AddPttmTelemetry();
builder.Services.AddApiDocs().AddViewer();

var app = builder.Build();
app.UseOperationOutcomeErrors();
app.UsePttmTelemetry();
app.UseCdsClientAuthentication();
app.UseBodyAdmission();
app.MapCdsHooks();
app.MapHealth();
app.MapPttmTelemetry();
app.MapDocuments();
app.MapApiDocs();
app.MapViewer();
app.LogStartup();
return app.RunOrExplain();

/// <summary>The entry point; public so that tests can host the service in-process.</summary>
public partial class Program;
