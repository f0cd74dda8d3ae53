using Semisup.Cli;
using Semisup.Data;
using Semisup.Models;
using Semisup.Training;
using Semisup.Export;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Export;

/// <summary><c>semisup export</c> and <c>semisup evaluate --onnx</c> as a user runs them.</summary>
[Collection("mnist")]
public class ExportCommandTests(MnistFixture mnist)
{
    static Task<(int Code, string Out, string Err)> Captured(params string[] args) => CliCapture.Run(args);

    /// <summary>"accuracy …% (n of m wrong), loss …, ECE …%" of an evaluate line, without what follows the ECE (a
    /// checkpoint's line adds its raw one and its temperature).</summary>
    static string Score(string line)
    {
        var score = line[line.IndexOf("accuracy")..line.IndexOf("  [")];
        return score[..(score.IndexOf('%', score.IndexOf("ECE")) + 1)];
    }

    [Fact]
    public async Task Export_to_onnx_then_evaluate_onnx_scores_as_the_checkpoint_does()
    {
        using var dir = new TempDir();
        var export = await Captured("export", "-c", ExportModels.ShippedPath, "--format", "onnx", "--out", dir["m.onnx"], "--data-dir", mnist.Dir);
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("test accuracy 99.35%", export.Out);
        Assert.Contains($"opset {OnnxExport.Opset}", export.Out);
        Assert.Contains("input 'images' float32 [N,1,28,28] (gray pixels in [0, 1], 1×28×28 (C×H×W); white digits on black, as in MNIST)", export.Out);
        var onnx = await Captured("evaluate", "--onnx", dir["m.onnx"], "--data-dir", mnist.Dir);
        var checkpoint = await Captured("evaluate", "-c", ExportModels.ShippedPath, "--data-dir", mnist.Dir);
        Assert.True(onnx.Code == 0, onnx.Err);
        Assert.Contains("Semisup measured 99.35% at export", onnx.Out);
        var (onnxLines, checkpointLines) = (onnx.Out.Trim().Split('\n'), checkpoint.Out.Trim().Split('\n'));
        Assert.Equal(Score(checkpointLines[0]), Score(onnxLines[0]));
        // The same mistakes, named by the class names the file carries.
        Assert.StartsWith("most frequent mistakes (true as predicted): ", onnxLines[^1]);
        Assert.Equal(checkpointLines[^1], onnxLines[^1]);
    }

    [Fact]
    public async Task Exporting_a_folder_runs_checkpoint_prints_its_real_input_shape()
    {
        using var dir = new TempDir();
        var recipe = new Recipe
        {
            Data = new DataSettings(Dataset: "folder", Labels: 3, Folder: dir["gone"], Classes: ["cat", "dog", "owl"], Channels: 3, Size: 40),
            Model = new AirbenchConfig(Width: 4),
        };
        using (var model = Factory.Model(recipe)) Checkpoint.Save(dir["best.ckpt"], model, recipe, new TrainingState(1, 1, 0.5, 1), null);
        var export = await Captured("export", "-c", dir["best.ckpt"], "--out", dir["m.onnx"], "--data-dir", dir["no-data"]);
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains($"{dir["m.onnx"]}: no test accuracy; ONNX opset {OnnxExport.Opset}, input 'images' float32 [N,3,40,40] (RGB pixels in [0, 1], 3×40×40 (C×H×W); each image resized", export.Out);
        Assert.DoesNotContain("MNIST", export.Out);
        Assert.Contains("no test images", export.Err);
    }

    [Fact]
    public async Task Export_to_safetensors_writes_the_state_dict_names()
    {
        using var dir = new TempDir();
        var export = await Captured("export", "-c", ExportModels.ShippedPath, "--format", "safetensors", "--out", dir["m.safetensors"], "--data-dir", mnist.Dir);
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("load_conv_net", export.Out);
        var (tensors, metadata) = Safetensors.Read(dir["m.safetensors"]);
        Assert.Contains("conv1.weight", tensors.Keys);
        Assert.Contains("bn6.running_var", tensors.Keys);
        Assert.Equal("mnist", metadata[ExportMetadata.Dataset]);
        Assert.Equal(ClassNames.Of(Datasets.Mnist), ExportMetadata.ClassNames(metadata, "m.safetensors"));
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Theory]
    [InlineData("give onnx or safetensors", "export", "-c", "CKPT", "--format", "pt", "--out", "OUT")]
    [InlineData("give --checkpoint (one or more) or --onnx", "evaluate")]
    [InlineData("give --checkpoint (one or more) or --onnx", "evaluate", "-c", "CKPT", "--onnx", "OUT")]
    [InlineData("evaluate on test", "evaluate", "--onnx", "OUT", "--split", "validation")]
    [InlineData("no such file", "evaluate", "--onnx", "OUT")]
    public async Task Bad_requests_get_one_line_reasons(string reason, params string[] args)
    {
        using var dir = new TempDir();
        var (code, _, error) = await Captured([.. args.Select(a => a.Replace("CKPT", ExportModels.ShippedPath).Replace("OUT", dir["m.onnx"]))]);
        Assert.Equal(1, code);
        Assert.Contains(reason, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
