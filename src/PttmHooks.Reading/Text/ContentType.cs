namespace PttmHooks.Reading.Text;

/// <summary>A Content-Type value taken apart: its media type and its <c>charset</c> parameter.</summary>
internal static class ContentType
{
    /// <summary>The media type, lower case, without its parameters; null when there is none.</summary>
    public static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        return type.Length == 0 ? null : type;
    }

    /// <summary>The value of the <c>charset</c> parameter, quotes removed, or null.</summary>
    public static string? Charset(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        foreach (var parameter in contentType.Split(';').Skip(1))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                var value = parameter[(equals + 1)..].Trim().Trim('"', '\'').Trim();
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }
}
