using Spectre.Console;
using Semisup.Data;

namespace Semisup.Cli;

/// <summary>Progress as a live bar on a terminal, and as plain lines when output is redirected (CI, pipes),
/// where Spectre.Console would drop most updates.</summary>
static class ConsoleProgress
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static async Task<T> FetchAsync<T>(Func<IProgress<FetchProgress>, Task<T>> work)
    {
        if (!Interactive)
        {
            string? last = null;
            var plain = new SyncProgress<FetchProgress>(p =>
            {
                if (p.Total is long t && p.Done != t) return; // one line per file, when it completes
                var line = $"{p.Source}: {p.File} {(p.Total is null ? "started" : $"{p.Done:N0} bytes")}";
                if (line != last) Console.WriteLine(last = line);
            });
            return await work(plain);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var bar = new SyncProgress<FetchProgress>(p =>
                {
                    var key = $"{p.Source} {p.File}";
                    if (!tasks.TryGetValue(key, out var task))
                        tasks[key] = task = ctx.AddTask(Markup.Escape(key), maxValue: p.Total ?? 1);
                    if (p.Total is null) task.IsIndeterminate = true;
                    else task.Value = p.Done;
                });
                result = await work(bar);
                foreach (var t in tasks.Values) { t.IsIndeterminate = false; t.Value = t.MaxValue; }
            });
        return result;
    }
}

/// <summary>IProgress that reports on the caller's thread, in order (System.Progress posts to the thread pool).</summary>
sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    readonly Lock gate = new();
    public void Report(T value) { lock (gate) report(value); }
}
