using PttmHooks.Service.CdsHooks;
using PttmHooks.Service.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPttmHooks();

var app = builder.Build();
app.UseOperationOutcomeErrors();
app.UseCdsClientAuthentication();
app.MapCdsHooks();
app.MapHealth();
app.MapDocuments();
app.LogStartup();
app.Run();

/// <summary>The entry point; public so that tests can host the service in-process.</summary>
public partial class Program;
