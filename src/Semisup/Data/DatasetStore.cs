using System.Security.Cryptography;

namespace Semisup.Data;

/// <summary>Where datasets are looked for and fetched to.</summary>
/// <param name="DataDir">An explicit directory: the only place read, and where fetch writes.</param>
/// <param name="EnvDataDir">The directory named by SEMISUP_DATA, read before the cache.</param>
/// <param name="CacheRoot">The cache; each dataset lives in CacheRoot/&lt;name&gt;.</param>
public sealed record DataOptions(string? DataDir, string? EnvDataDir, string CacheRoot, TimeSpan ConnectTimeout, string NpmCommand = "npm")
{
    public static DataOptions FromEnvironment(string? dataDir = null)
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cache = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        var env = Environment.GetEnvironmentVariable("SEMISUP_DATA");
        return new(dataDir, string.IsNullOrEmpty(env) ? null : env, Path.Combine(cache, "semisup"), TimeSpan.FromSeconds(5));
    }
}

public enum FileState { Ok, Missing, Mismatch, Unreadable }

public sealed record FileStatus(DatasetFile File, string? Path, FileState State, string? ActualSha256, string? Error);

/// <summary>Finds, verifies and fetches dataset files. Resolution order: the explicit DataDir; else SEMISUP_DATA, then
/// the cache; then the dataset's sources, in order, into the cache (or DataDir). Nothing unverified is used or
/// written: sources write into a staging directory that is removed whatever happens.</summary>
public sealed class DatasetStore(DataOptions options)
{
    /// <summary>Where fetched files go.</summary>
    public string TargetDir(DatasetInfo ds) => options.DataDir ?? Path.Combine(options.CacheRoot, ds.Name);

    IEnumerable<string> Candidates(DatasetInfo ds) =>
        options.DataDir is { } d ? [d] : new[] { options.EnvDataDir, Path.Combine(options.CacheRoot, ds.Name) }.OfType<string>();

    /// <summary>A file of the dataset in a directory: raw or .gz, directly or under a subdirectory named after the dataset.</summary>
    public static string? Find(string dir, DatasetInfo ds, DatasetFile file) =>
        new[] { dir, Path.Combine(dir, ds.Name) }
            .SelectMany(d => new[] { Path.Combine(d, file.Name), Path.Combine(d, file.Name + ".gz") })
            .FirstOrDefault(File.Exists);

    /// <summary>Status of every file in the first candidate directory that holds any of them.</summary>
    public IReadOnlyList<FileStatus> Verify(DatasetInfo ds)
    {
        var dir = Candidates(ds).FirstOrDefault(d => ds.Files.Any(f => Find(d, ds, f) != null)) ?? TargetDir(ds);
        return ds.Files.Select(f => Check(dir, ds, f)).ToList();
    }

    static FileStatus Check(string dir, DatasetInfo ds, DatasetFile file)
    {
        var path = Find(dir, ds, file);
        if (path == null) return new(file, Path.Combine(dir, file.Name), FileState.Missing, null, null);
        try
        {
            var sha = Idx.Sha256(path, file.Length);
            return new(file, path, sha == file.Sha256 ? FileState.Ok : FileState.Mismatch, sha, null);
        }
        catch (SemisupException e) { return new(file, path, FileState.Unreadable, null, e.Message); }
    }

    /// <summary>The directory that holds all four verified files, fetching them first if no candidate does.</summary>
    public async Task<string> LocateAsync(DatasetInfo ds, IProgress<FetchProgress>? progress = null, Action<string>? log = null, CancellationToken cancel = default)
    {
        foreach (var dir in Candidates(ds))
        {
            var status = ds.Files.Select(f => Check(dir, ds, f)).ToList();
            if (status.All(s => s.State == FileState.Missing)) continue;
            var bad = status.FirstOrDefault(s => s.State != FileState.Ok);
            if (bad == null) return dir;
            if (bad.State != FileState.Missing || options.DataDir != null) throw Describe(ds, bad);
        }
        await FetchAsync(ds, progress, log, cancel);
        return TargetDir(ds);
    }

    static SemisupException Describe(DatasetInfo ds, FileStatus s) => s.State switch
    {
        FileState.Missing => new DataFilesException($"{s.Path}: missing.", ds, DataRemedy.Fetch),
        FileState.Mismatch => new DataFilesException($"{s.Path}: SHA-256 {s.ActualSha256} does not match the expected {s.File.Sha256}.", ds, DataRemedy.DeleteAndFetch),
        _ => new SemisupException(s.Error!),
    };

    /// <summary>Fetches every file from the first source that delivers all of them verified, and moves them into
    /// the target directory. Files already there and verified are kept unless <paramref name="force"/>.</summary>
    public async Task<string> FetchAsync(DatasetInfo ds, IProgress<FetchProgress>? progress = null, Action<string>? log = null, CancellationToken cancel = default, bool force = false)
    {
        var target = TargetDir(ds);
        if (!force && ds.Files.All(f => Check(target, ds, f).State == FileState.Ok))
        {
            log?.Invoke($"{ds.Name}: all files already present and verified in {target}");
            return "cache";
        }
        string staging;
        FileStream held;
        try
        {
            Directory.CreateDirectory(target);
            RemoveAbandonedStaging(target);
            staging = Directory.CreateDirectory(Path.Combine(target, $"{StagingPrefix}{Guid.NewGuid():N}")).FullName;
            held = new FileStream(Path.Combine(staging, StagingLock), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFilesException($"Cannot write to {target} ({e.Message}).", ds, DataRemedy.WritableDirectory, e);
        }

        using var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(10) };
        var context = new FetchContext(http, options.NpmCommand, progress ?? new Progress<FetchProgress>(), cancel);
        var failures = new List<string>();
        try
        {
            foreach (var source in ds.Sources)
            {
                try
                {
                    ClearDirectory(staging);
                    await source.FetchAsync(ds, staging, context);
                    var raw = ds.Files.Select(f => (file: f, bytes: VerifiedContent(staging, ds, f, source))).ToList();
                    foreach (var (file, bytes) in raw)
                    {
                        var staged = Path.Combine(staging, file.Name + ".verified");
                        await File.WriteAllBytesAsync(staged, bytes, cancel);
                        File.Move(staged, Path.Combine(target, file.Name), overwrite: true);
                        if (File.Exists(Path.Combine(target, file.Name + ".gz"))) File.Delete(Path.Combine(target, file.Name + ".gz"));
                    }
                    log?.Invoke($"{ds.Name}: fetched from {source.Describe} into {target}");
                    return source.Describe;
                }
                catch (SourceUnavailableException e)
                {
                    failures.Add($"  - {source.Describe}: {e.Message}");
                    log?.Invoke($"{source.Describe}: unavailable ({e.Message}); trying the next source");
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFilesException($"Cannot write to {target} ({e.Message}).", ds, DataRemedy.WritableDirectory, e);
        }
        finally
        {
            try { Directory.Delete(staging, recursive: true); } catch (IOException) { }
            held.Dispose();
        }
        throw new DataFilesException($"Could not fetch {ds.Name}; every source failed:\n{string.Join("\n", failures)}\n{ds.ManualHelp}", ds, DataRemedy.OwnFiles);
    }

    static byte[] VerifiedContent(string staging, DatasetInfo ds, DatasetFile file, IDataSource source)
    {
        var path = Find(staging, ds, file) ?? throw new SourceUnavailableException($"{file.Name} was not delivered");
        byte[] bytes;
        try { bytes = Idx.ReadContent(path, file.Length); }
        catch (SemisupException e) { throw new SourceUnavailableException(e.Message, e); }
        var sha = Sha256(bytes);
        if (sha != file.Sha256)
            throw new SourceUnavailableException($"{file.Name}: checksum mismatch (SHA-256 {sha}, expected {file.Sha256}); the file was discarded");
        return bytes;
    }

    static void ClearDirectory(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir).Where(f => Path.GetFileName(f) != StagingLock)) File.Delete(f);
    }

    const string StagingPrefix = ".staging-", StagingLock = ".lock";

    /// <summary>Deletes the staging directories of fetches that ended without cleaning up (a kill, or an exit while a
    /// source still wrote). A fetch holds its staging directory's lock (an flock, let go however the process ends), so
    /// one in progress elsewhere is left alone; a directory without a lock is left for a minute, while its fetch starts.</summary>
    static void RemoveAbandonedStaging(string target)
    {
        foreach (var dir in Directory.EnumerateDirectories(target, StagingPrefix + "*"))
        {
            var lockPath = Path.Combine(dir, StagingLock);
            try
            {
                if (!File.Exists(lockPath))
                {
                    if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) < TimeSpan.FromMinutes(1)) continue;
                }
                else using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // held by a fetch in progress
        }
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
