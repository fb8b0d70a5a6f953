using System.Globalization;

namespace PttmHooks.Cli.Screen;

/// <summary>
/// Progress of one stage of the screening, on the error writer: a bar redrawn in place when that is
/// a terminal, otherwise a plain line at every tenth and at least every 15 seconds, which reads well
/// in a file or a CI log. Counts and sizes only: never a patient identifier.
/// </summary>
internal sealed class ScreenProgress(TextWriter error, bool terminal, TimeProvider clock)
{
    private const int BarWidth = 30;
    private static readonly TimeSpan s_redraw = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_plainEvery = TimeSpan.FromSeconds(15);

    private string _stage = string.Empty;
    private Func<long, string> _format = Size;
    private long _total;
    private long _stageStart;
    private long _lastDraw;
    private int _lastTenth;

    /// <summary>Starts a stage of <paramref name="total"/> bytes (or items, shown by <paramref name="format"/>).</summary>
    public void Start(string stage, long total, Func<long, string>? format = null)
    {
        _stage = stage;
        _format = format ?? Size;
        _total = Math.Max(1, total);
        _stageStart = clock.GetTimestamp();
        _lastDraw = _stageStart;
        _lastTenth = 0;
        if (!terminal)
        {
            error.WriteLine($"screen: {stage}: started ({_format(total)})");
        }
    }

    /// <summary>Reports <paramref name="done"/> of the stage's total; cheap to call often.</summary>
    public void Report(long done)
    {
        var now = clock.GetTimestamp();
        var sinceDraw = clock.GetElapsedTime(_lastDraw, now);
        var fraction = Math.Clamp((double)done / _total, 0, 1);
        if (terminal)
        {
            if (sinceDraw < s_redraw)
            {
                return;
            }

            var filled = (int)(fraction * BarWidth);
            error.Write($"\r{_stage,-24} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {fraction * 100,3:0}%  {_format(done)} of {_format(_total)}  {Elapsed(now)}   ");
            error.Flush();
            _lastDraw = now;
            return;
        }

        var tenth = (int)(fraction * 10);
        if (tenth > _lastTenth || sinceDraw >= s_plainEvery)
        {
            _lastTenth = Math.Max(_lastTenth, tenth);
            _lastDraw = now;
            error.WriteLine($"screen: {_stage}: {fraction * 100:0}% ({_format(done)} of {_format(_total)}), {Elapsed(now)}");
        }
    }

    /// <summary>Ends the stage with a line that says what it did.</summary>
    public void Finish(string summary)
    {
        var now = clock.GetTimestamp();
        if (terminal)
        {
            error.Write('\r' + new string(' ', 24 + BarWidth + 50) + '\r');
        }

        error.WriteLine($"screen: {_stage}: done in {Elapsed(now)}: {summary}");
    }

    /// <summary>A size in bytes as a person reads it.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    /// <summary>A duration as m:ss.</summary>
    public static string Duration(TimeSpan elapsed) => elapsed.TotalHours >= 1
        ? elapsed.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private string Elapsed(long now) => Duration(clock.GetElapsedTime(_stageStart, now));
}
