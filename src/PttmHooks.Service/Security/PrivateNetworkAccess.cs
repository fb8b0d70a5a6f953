namespace PttmHooks.Service.Security;

/// <summary>
/// Private Network Access (WICG): before a page on a public origin calls a service on a private or
/// loopback address, Chromium sends a CORS preflight with
/// <c>Access-Control-Request-Private-Network: true</c> and goes on only when the answer carries
/// <c>Access-Control-Allow-Private-Network: true</c>. The service answers so in Development only
/// (a service run on a laptop, tried from the public CDS Hooks Sandbox), and only on a preflight
/// that CORS itself allowed (one that carries <c>Access-Control-Allow-Origin</c>).
/// </summary>
public static class PrivateNetworkAccess
{
    /// <summary>The preflight's request header.</summary>
    public const string RequestHeader = "Access-Control-Request-Private-Network";

    /// <summary>The answer's header.</summary>
    public const string AllowHeader = "Access-Control-Allow-Private-Network";

    /// <summary>Middleware: adds <see cref="AllowHeader"/> to a private-network preflight that CORS answers for an allowed origin.</summary>
    public static Task AllowForCorsOrigins(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.Request;
        if (HttpMethods.IsOptions(request.Method)
            && request.Headers.Origin.Count > 0
            && request.Headers.AccessControlRequestMethod.Count > 0
            && string.Equals(request.Headers[RequestHeader].ToString(), "true", StringComparison.OrdinalIgnoreCase))
        {
            var response = context.Response;
            response.OnStarting(() =>
            {
                if (response.Headers.AccessControlAllowOrigin.Count > 0)
                {
                    response.Headers[AllowHeader] = "true";
                }

                return Task.CompletedTask;
            });
        }

        return next(context);
    }
}
