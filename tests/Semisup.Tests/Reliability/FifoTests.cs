using System.Diagnostics;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Tests.Serve;
using Semisup.Training;

namespace Semisup.Tests.Reliability;

/// <summary>A FIFO opened for reading waits for a writer forever (and then SIGTERM no longer stops the process): every
/// place a file is read refuses one, by the one shared check, in one line.</summary>
[Collection("mnist")]
public class FifoTests(MnistFixture mnist)
{
    static string Fifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>Runs a command line that must not block; if it does, a writer is opened on each FIFO so the blocked
    /// reader is let go, and the test fails.</summary>
    static async Task<(int Code, string Out, string Err)> Run(IEnumerable<string> fifos, params string[] args)
    {
        var run = CliCapture.Run(args);
        if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) != run)
        {
            foreach (var fifo in fifos) using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            await run;
            Assert.Fail($"{string.Join(" ", args)} blocked on a FIFO");
        }
        return await run;
    }

    static void AssertRefused((int Code, string Out, string Err) result, string message)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
    }

    const string IsFifo = "not a regular file (a FIFO, which would wait for a writer forever)";

    [SkippableFact]
    public void The_shared_check_tells_a_regular_file_from_everything_else()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        File.WriteAllText(dir["file"], "x");
        Fifo(dir["fifo"]);
        File.CreateSymbolicLink(dir["link"], dir["fifo"]);
        Assert.Null(SafeFiles.NotRegular(dir["file"]));
        Assert.Null(SafeFiles.NotRegular(dir["missing"]));
        Assert.Equal(IsFifo, SafeFiles.NotRegular(dir["fifo"]));
        Assert.Equal(IsFifo, SafeFiles.NotRegular(dir["link"]));
        Assert.Equal("is a directory", SafeFiles.NotRegular(dir.Path));
        Assert.Equal("not a regular file (/dev/null)", SafeFiles.NotRegular("/dev/null"));
        Assert.Equal($"{dir["fifo"]}: {IsFifo}; give a thing.", Assert.Throws<SemisupException>(() => SafeFiles.RequireRegular(dir["fifo"], "a thing")).Message);
    }

    [SkippableFact]
    public async Task Predict_refuses_a_fifo_as_input_and_inside_an_input_directory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        var fifo = Fifo(dir["digit.png"]);
        AssertRefused(await Run([fifo], "predict", "-c", ServeData.Checkpoint, "-i", fifo), $"{fifo}: {IsFifo}; give an image or IDX file.");

        Directory.CreateDirectory(dir["images"]);
        File.WriteAllBytes(dir["images/a.png"], ServeData.Png(ServeData.Pixels(mnist, 0)));
        var inside = Fifo(dir["images/b.png"]);
        var (code, output, error) = await Run([inside], "predict", "-c", ServeData.Checkpoint, "-i", dir["images"]);
        Assert.Equal(1, code);
        Assert.StartsWith($"{dir["images/a.png"]}: {ServeData.Label(mnist, 0)}", output);
        Assert.Equal($"error: {inside}: {IsFifo}; give an image file.", error.Trim());
    }

    [SkippableFact]
    public async Task A_fifo_among_a_folders_images_is_refused_not_waited_on()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        ImageFiles.Solid(dir["photos/labeled/cat/a.png"], SkiaSharp.SKColors.Orange);
        ImageFiles.Solid(dir["photos/labeled/dog/a.png"], SkiaSharp.SKColors.Brown);
        var fifo = Fifo(dir["photos/labeled/dog/b.png"]);
        var before = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", dir["cache"]);
        try
        {
            var (code, output, error) = await Run([fifo], "data", "check", dir["photos"], "--size", "8");
            Assert.Equal(1, code);
            Assert.Contains($"{fifo}: {IsFifo}; give an image file.", output + error);
        }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", before); }
    }

    [SkippableFact]
    public async Task Checkpoints_onnx_files_recipes_and_warm_starts_that_are_fifos_are_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        var fifo = Fifo(dir["m.ckpt"]);
        Directory.CreateDirectory(dir["data"]);
        AssertRefused(await Run([fifo], "evaluate", "-c", fifo, "--data-dir", dir["data"]), $"{fifo}: {IsFifo}; give a checkpoint file.");
        AssertRefused(await Run([fifo], "evaluate", "--onnx", fifo, "--data-dir", dir["data"]), $"{fifo}: {IsFifo}; give an ONNX file");
        AssertRefused(await Run([fifo], "export", "-c", fifo, "--out", dir["m.onnx"], "--data-dir", dir["data"]), $"{fifo}: {IsFifo}; give a checkpoint file.");
        AssertRefused(await Run([fifo], "checkpoint", "upgrade", fifo), $"{fifo}: {IsFifo}; give a checkpoint file.");
        var recipe = Fifo(dir["r.json"]);
        AssertRefused(await Run([recipe], "train", "--recipe", recipe, "--out", dir["run"], "--data-dir", dir["data"]), $"{recipe}: {IsFifo}; give a recipe file.");
        File.WriteAllText(dir["warm.json"], $$"""{ "model": { "kind": "conv", "warmStart": "{{fifo}}" } }""");
        AssertRefused(await Run([fifo], "train", "--recipe", dir["warm.json"], "--out", dir["run"], "--data-dir", dir["data"]), $"model.warmStart: '{fifo}' {IsFifo}; give a checkpoint file");
        Assert.False(Directory.Exists(dir["run"]));
    }

    [SkippableFact]
    public async Task Data_verify_reports_a_fifo_among_the_idx_files_as_unreadable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(mnist.Dir).Where(f => !Path.GetFileName(f).StartsWith("train-images")))
            File.Copy(file, dir[Path.GetFileName(file)]);
        var fifo = Fifo(dir["train-images-idx3-ubyte"]);
        var (code, output, _) = await Run([fifo], "data", "verify", "--data-dir", dir.Path);
        Assert.Equal(1, code);
        Assert.Contains($"UNREADABLE {fifo}  {fifo}: {IsFifo}; give an IDX file.", output);
    }

    [SkippableFact]
    public void A_run_directory_whose_files_are_fifos_is_refused_when_read()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs as made by mkfifo");
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        Fifo(dir[RunDirectory.Metrics]);
        Fifo(dir[RunDirectory.Test]);
        Fifo(dir[RunDirectory.Split]);
        Assert.Contains(IsFifo, Assert.Throws<SemisupException>(() => run.ReadMetrics()).Message);
        Assert.Contains(IsFifo, Assert.Throws<SemisupException>(() => run.ReadTest()).Message);
        Assert.Contains(IsFifo, Assert.Throws<SemisupException>(() => run.ReadSplit(60_000)).Message);
    }
}
