using Semisup.Cli;
using Semisup.Export;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Export;

/// <summary><c>semisup export</c> and <c>semisup evaluate --onnx</c> as a user runs them.</summary>
[Collection("mnist")]
public class ExportCommandTests(MnistFixture mnist)
{
    static Task<(int Code, string Out, string Err)> Captured(params string[] args) => CliCapture.Run(args);

    /// <summary>"accuracy …% (n of m wrong), loss …" of an evaluate line.</summary>
    static string Score(string line) => line[line.IndexOf("accuracy")..line.IndexOf("  [")];

    [Fact]
    public async Task Export_to_onnx_then_evaluate_onnx_scores_as_the_checkpoint_does()
    {
        using var dir = new TempDir();
        var export = await Captured("export", "-c", ExportModels.ShippedPath, "--format", "onnx", "--out", dir["m.onnx"], "--data-dir", mnist.Dir);
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("test accuracy 99.35%", export.Out);
        Assert.Contains($"opset {OnnxExport.Opset}", export.Out);
        var onnx = await Captured("evaluate", "--onnx", dir["m.onnx"], "--data-dir", mnist.Dir);
        var checkpoint = await Captured("evaluate", "-c", ExportModels.ShippedPath, "--data-dir", mnist.Dir);
        Assert.True(onnx.Code == 0, onnx.Err);
        Assert.Contains("Semisup measured 99.35% at export", onnx.Out);
        Assert.Equal(Score(checkpoint.Out.Split('\n')[0]), Score(onnx.Out));
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
