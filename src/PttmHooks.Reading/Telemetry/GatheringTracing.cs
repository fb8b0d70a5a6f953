using System.Diagnostics;

namespace PttmHooks.Reading.Telemetry;

/// <summary>
/// The spans of data gathering, in the service's activity source <c>PttmHooks.CdsHooks</c> (a
/// source of the same name as the service's <c>CdsTracing</c>: tracing subscribes by name):
/// <c>gather</c>, with one child per prefetch key (<c>gather {key}</c>). Attributes are keys,
/// states, codes and counts: never a patient id, a token, a URL with an id in it, or anything of a
/// resource's content. None is started for the service's warm-up calls (<see cref="WarmUpCalls"/>).
/// </summary>
internal static class GatheringTracing
{
    /// <summary>The activity source's name: the service's source.</summary>
    public const string SourceName = "PttmHooks.CdsHooks";

    private static readonly ActivitySource s_source = new(SourceName);

    /// <summary>The span of the whole data gathering.</summary>
    public static Activity? StartGather(int keys)
    {
        var activity = WarmUpCalls.Active ? null : s_source.StartActivity("gather");
        activity?.SetTag("pttm.prefetch.keys", keys);
        return activity;
    }

    /// <summary>
    /// The span of one prefetch key: <paramref name="source"/> is <c>prefetch</c> (the value came
    /// with the request, or was missing and not fetched) or <c>fhir</c> (queried from fhirServer).
    /// </summary>
    public static Activity? StartKey(string key, string source)
    {
        var activity = WarmUpCalls.Active ? null : s_source.StartActivity("gather " + key);
        activity?.SetTag("pttm.prefetch.key", key);
        activity?.SetTag("pttm.gather.source", source);
        return activity;
    }

    /// <summary>Ends a key's span with its outcome (<c>ok</c>, <c>no-data</c>, <c>unsatisfied</c>, or a fetch failure's code), pages and resource count.</summary>
    public static void EndKey(Activity? activity, string outcome, int pages, int resources, bool failed)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("pttm.gather.outcome", outcome);
        activity.SetTag("pttm.fhir.pages", pages);
        activity.SetTag("pttm.resources", resources);
        if (failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    /// <summary>The span of reading the attachments the rule wants: <paramref name="wanted"/> of them.</summary>
    public static Activity? StartAttachments(int wanted)
    {
        var activity = WarmUpCalls.Active ? null : s_source.StartActivity("attachments");
        activity?.SetTag("pttm.attachments.wanted", wanted);
        return activity;
    }

    /// <summary>The span of one attachment fetched from the FHIR server (its HTTP request is a child).</summary>
    public static Activity? StartAttachmentFetch() => WarmUpCalls.Active ? null : s_source.StartActivity("attachment fetch");

    /// <summary>Ends an attachment fetch's span with its outcome (<c>ok</c>, or a failure's code) and the bytes read.</summary>
    public static void EndAttachmentFetch(Activity? activity, string outcome, int bytes)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("pttm.attachment.outcome", outcome);
        activity.SetTag("pttm.attachment.bytes", bytes);
        if (outcome != "ok")
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }
}
