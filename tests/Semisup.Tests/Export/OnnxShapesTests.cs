using Google.Protobuf;
using Onnx;
using Semisup.Export;
using Semisup.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Semisup.Tests.Export;

/// <summary>Every network kind exports for any image shape it takes: ONNX Runtime's logits are TorchSharp's, the input is
/// [N, C, H, W], and its description says what the pixels are.</summary>
public class OnnxShapesTests(ITestOutputHelper output)
{
    /// <summary>Logits agree to this, relative to the largest logit's size (at least 1): float32 rounding in a different
    /// order, through up to eight layers.</summary>
    const double LogitTolerance = 1e-5;

    /// <summary>Batch norm's running statistics from training-mode passes over uniform noise (not the initial 0 and 1),
    /// and its γ and β drawn, γ from U(<paramref name="lowScale"/>, 1.5): the fold is tested, not an identity.</summary>
    internal static T Trained<T>(T model, int channels, int height, int width, double lowScale = 0.5) where T : Classifier
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name.Contains("norm") || name.Contains("bn"))
                if (name.EndsWith(".weight")) p.uniform_(lowScale, 1.5); else p.uniform_(-0.3, 0.3);
        model.train();
        for (int b = 0; b < 30; b++)
        {
            using var scope = NewDisposeScope();
            model.call(rand(16, channels, height, width));
        }
        model.eval();
        return model;
    }

    /// <summary>Exports, runs ONNX Runtime on 20 random images and asserts TorchSharp's logits and probabilities; returns the model file.</summary>
    ModelProto AssertLogitsAgree(Classifier model, OnnxInput input, string what)
    {
        using var dir = new TempDir();
        var proto = OnnxExport.Build(model, ExportModels.Metadata(classes: model.Classes), input);
        File.WriteAllBytes(dir["m.onnx"], proto.ToByteArray());
        using var scorer = new OnnxScorer(dir["m.onnx"]);
        Assert.Equal((input.Channels, input.Height, input.Width), scorer.Input);
        using var images = rand(20, input.Channels, input.Height, input.Width);
        var (logits, probabilities) = scorer.Run(images);
        float[] expected, expectedProbabilities;
        using (no_grad())
        {
            using var torchLogits = model.call(images);
            using var softmax = torchLogits.softmax(1);
            (expected, expectedProbabilities) = (torchLogits.data<float>().ToArray(), softmax.data<float>().ToArray());
        }
        double scale = Math.Max(1, expected.Max(Math.Abs)), diff = ExportModels.MaxDifference(expected, logits);
        output.WriteLine($"{what}: max |logit| {scale:F3}, max |Δlogit| {diff:E2}, max |Δp| {ExportModels.MaxDifference(expectedProbabilities, probabilities):E2}");
        Assert.True(diff <= LogitTolerance * scale, $"{what}: logits differ by up to {diff:E2}");
        Assert.True(ExportModels.MaxDifference(expectedProbabilities, probabilities) <= 1e-5, what);
        // Not a constant network: the images get different classes' largest logits or at least different logits.
        Assert.True(expected.Distinct().Count() > model.Classes, $"{what}: the logits do not depend on the image");
        return proto;
    }

    [Theory]
    [InlineData(3, 32, 32, 0.5)]
    [InlineData(1, 40, 40, 0.5)]
    [InlineData(3, 33, 45, 0.5)] // odd sides: each pooling drops a row or a column, as libtorch's floor does
    [InlineData(3, 32, 32, -1.0)] // negative scales: the pooled batch norms stay after their pooling
    public void The_airbench_net_agrees(int c, int h, int w, double lowScale)
    {
        manual_seed(48);
        using var net = Trained(new AirbenchNet(new AirbenchConfig(Width: 8, Channels: c, ImageHeight: h, ImageWidth: w, Classes: 5)), c, h, w, lowScale);
        var proto = AssertLogitsAgree(net, new(c, h, w), $"airbench {c}×{h}×{w}, γ from {lowScale}");
        var batchNorms = proto.Graph.Node.Count(n => n.OpType == "BatchNormalization");
        // Seven batch norms: the stem's, the groups' unpooled ones, and the pooled ones with non-negative scales fold.
        var pooledNegative = Enumerable.Range(1, 3).Count(g => net.get_parameter($"group{g}.norm1.weight")!.lt(0).any().item<bool>());
        Assert.Equal(pooledNegative, batchNorms);
        Assert.Equal(lowScale < 0 ? 3 : 0, batchNorms);
    }

    [Theory]
    [InlineData(3, 32, 32)]
    [InlineData(1, 40, 40)]
    public void The_gap_net_agrees(int c, int h, int w)
    {
        manual_seed(48);
        using var net = Trained(new GapNet(new GapNetConfig([8, 16, 16], Channels: c, Height: h, Width: w, Classes: 4)), c, h, w);
        var proto = AssertLogitsAgree(net, new(c, h, w), $"gap {c}×{h}×{w}");
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "BatchNormalization");
    }

    [Theory]
    [InlineData(3, 32, 32)]
    [InlineData(1, 40, 40)]
    public void The_conv_net_agrees_beyond_28_pixels(int c, int h, int w)
    {
        manual_seed(48);
        using var net = Trained(new ConvNet(new ConvNetConfig(Channels: c, Height: h, Width: w, Classes: 3, InputMean: 0.4, InputStd: 0.2)), c, h, w);
        AssertLogitsAgree(net, new(c, h, w), $"conv {c}×{h}×{w}");
    }

    [Fact]
    public void The_ladder_takes_its_shape_from_the_caller()
    {
        manual_seed(48);
        using var ladder = new LadderNet(new LadderConfig([3 * 9 * 9, 40, 20, 3]));
        Trained(ladder, 3, 9, 9);
        AssertLogitsAgree(ladder, new(3, 9, 9), "ladder 3×9×9");
        Assert.Contains("needs its images' shape", Assert.Throws<SemisupException>(() => OnnxExport.Build(ladder, ExportModels.Metadata(classes: 3))).Message);
        Assert.Contains("does not take images of 1×15×15", Assert.Throws<SemisupException>(() => OnnxExport.Build(ladder, ExportModels.Metadata(classes: 3), new(1, 15, 15))).Message);
    }

    [Fact]
    public void A_shape_the_network_was_not_built_for_is_refused()
    {
        using var net = new AirbenchNet(new AirbenchConfig(Width: 4, Channels: 3, ImageHeight: 32, ImageWidth: 32));
        Assert.Contains("does not take images of 1×32×32", Assert.Throws<SemisupException>(() => OnnxExport.Build(net, ExportModels.Metadata(), new(1, 32, 32))).Message);
    }

    [Fact]
    public void The_input_is_N_C_H_W_and_its_description_says_what_the_pixels_are()
    {
        using var net = new AirbenchNet(new AirbenchConfig(Width: 4, Channels: 3, ImageHeight: 48, ImageWidth: 48));
        var proto = OnnxExport.Build(net, ExportModels.Metadata(), new(3, 48, 48, "photos"));
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal(["N", "3", "48", "48"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam != "" ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal("RGB pixels in [0, 1], 3×48×48 (C×H×W); photos", input.DocString);
        var props = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("[\"N\",3,48,48]", props[ExportMetadata.InputShape]);
        Assert.Equal(input.DocString, props[ExportMetadata.InputDescription]);
        Assert.DoesNotContain("MNIST", proto.DocString);
        Assert.Equal("gray pixels in [0, 1], 1×28×28 (C×H×W)", new OnnxInput(1, 28, 28).Description);
    }

    [Fact]
    public void Images_of_another_shape_are_refused_by_the_scorer_with_both_shapes()
    {
        using var dir = new TempDir();
        using var net = new AirbenchNet(new AirbenchConfig(Width: 4, Channels: 3, ImageHeight: 32, ImageWidth: 32));
        OnnxExport.Write(net, ExportModels.Metadata(), dir["m.onnx"]);
        using var scorer = new OnnxScorer(dir["m.onnx"]);
        using var gray = rand(2, 1, 28, 28);
        Assert.Equal("The model takes images [N,3,32,32], not [2,1,28,28].", Assert.Throws<SemisupException>(() => scorer.Run(gray)).Message);
    }

    [SkippableFact]
    public void The_official_onnx_checker_accepts_the_photo_networks()
    {
        Skip.IfNot(ExportModels.PythonImports("onnx"), $"the onnx package is not installed for {ExportModels.Python} (Debian's python3-onnx)");
        using var dir = new TempDir();
        List<(Classifier Model, OnnxInput Input)> models =
        [
            (Trained(new AirbenchNet(new AirbenchConfig(Width: 4, Channels: 3, ImageHeight: 32, ImageWidth: 32)), 3, 32, 32, lowScale: -1), new(3, 32, 32)),
            (new AirbenchNet(new AirbenchConfig(Width: 4, Channels: 1, ImageHeight: 40, ImageWidth: 40)), new(1, 40, 40)),
            (new GapNet(new GapNetConfig([4, 8], Channels: 3, Height: 32, Width: 32)), new(3, 32, 32)),
            (new LadderNet(new LadderConfig([3 * 9 * 9, 10])), new(3, 9, 9)),
        ];
        var files = models.Select((m, i) => dir[$"{i}.onnx"]).ToArray();
        foreach (var ((m, input), file) in models.Zip(files)) OnnxExport.Write(m, ExportModels.Metadata(classes: m.Classes), file, input);
        foreach (var (m, _) in models) m.Dispose();
        const string check = "import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)";
        var (code, log) = ExportModels.RunPython(["-c", check, .. files]);
        Assert.True(code == 0, log);
    }
}
