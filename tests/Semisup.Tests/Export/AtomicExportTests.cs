using Semisup.Tests.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Export;

/// <summary>An export never leaves a damaged file where a good one was, and never writes over its own checkpoint.</summary>
[Collection("mnist")]
public class AtomicExportTests(MnistFixture mnist)
{
    static void AssertRefused((int Code, string Out, string Err) result, string message)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line);
    }

    [Fact]
    public async Task The_checkpoint_itself_as_out_is_refused_and_left_as_it_was()
    {
        using var dir = new TempDir();
        File.Copy(ExportModels.ShippedPath, dir["m.ckpt"]);
        File.CreateSymbolicLink(dir["link.ckpt"], dir["m.ckpt"]);
        var before = File.ReadAllBytes(dir["m.ckpt"]);
        // The empty data directory would fail the evaluation: the refusal comes first.
        Directory.CreateDirectory(dir["data"]);
        foreach (var output in new[] { dir["m.ckpt"], Path.Combine(dir.Path, ".", "m.ckpt"), dir["link.ckpt"] })
            AssertRefused(await CliCapture.Run("export", "-c", dir["m.ckpt"], "--out", output, "--data-dir", dir["data"]), "is the checkpoint being exported");
        Assert.Equal(before, File.ReadAllBytes(dir["m.ckpt"]));
    }

    [Fact]
    public async Task A_directory_as_out_is_refused_before_any_evaluation()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        AssertRefused(await CliCapture.Run("export", "-c", ExportModels.ShippedPath, "--out", dir.Path, "--data-dir", dir["data"]),
            $"--out {dir.Path}: is a directory; give a file name, such as {dir["model.onnx"]}.");
        AssertRefused(await CliCapture.Run("export", "-c", ExportModels.ShippedPath, "--out", dir["no/such/m.onnx"], "--data-dir", dir["data"]),
            $"the directory {dir["no/such"]} does not exist");
    }

    [SkippableFact]
    public async Task A_full_disk_leaves_the_previous_export_whole()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full to simulate a full disk");
        using var dir = new TempDir();
        File.WriteAllText(dir["m.onnx"], "the previous export");
        File.CreateSymbolicLink(dir["m.onnx.tmp"], "/dev/full"); // every write to the temporary file fails with ENOSPC
        AssertRefused(await CliCapture.Run("export", "-c", ExportModels.ShippedPath, "--out", dir["m.onnx"], "--data-dir", mnist.Dir),
            $"Could not write {dir["m.onnx"]} (");
        Assert.Equal("the previous export", File.ReadAllText(dir["m.onnx"]));
        Assert.False(File.Exists(dir["m.onnx.tmp"]));
    }

    [Fact]
    public void A_writer_that_fails_midway_leaves_the_target_and_no_temporary_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["out"], "old");
        Assert.Throws<IOException>(() => SafeFiles.WriteAtomically(dir["out"], temp =>
        {
            File.WriteAllText(temp, "half");
            throw new IOException("killed");
        }));
        Assert.Equal("old", File.ReadAllText(dir["out"]));
        Assert.Equal([dir["out"]], Directory.GetFiles(dir.Path));
        SafeFiles.WriteAtomically(dir["out"], temp => File.WriteAllText(temp, "new"));
        Assert.Equal("new", File.ReadAllText(dir["out"]));
        Assert.Equal([dir["out"]], Directory.GetFiles(dir.Path));
    }
}
