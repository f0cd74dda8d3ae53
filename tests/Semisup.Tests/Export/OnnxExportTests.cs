using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Semisup.Data;
using Semisup.Export;
using Semisup.Models;
using Semisup.Runs;
using Semisup.Tests.Data;
using Semisup.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Semisup.Tests.Export;

/// <summary>ONNX Runtime, given the exported file, answers as Semisup's own evaluation does.</summary>
[Collection("mnist")]
public class OnnxExportTests(MnistFixture mnist, ITestOutputHelper output)
{
    const double Tolerance = 1e-5;

    /// <summary>Exports, scores with ONNX Runtime and asserts the same classes (up to ties within rounding unless
    /// <paramref name="exact"/>) and probabilities within 1e-5.</summary>
    void AssertOnnxAgrees(Classifier model, ImageSet images, string what, bool exact = false)
    {
        using var dir = new TempDir();
        var semisup = Evaluator.Evaluate(model, images, 500);
        OnnxExport.Write(model, ExportModels.Metadata(), dir["m.onnx"]);
        using var scorer = new OnnxScorer(dir["m.onnx"]);
        var onnx = scorer.Evaluate(images, 500);
        double diff = ExportModels.MaxDifference(semisup.Probabilities, onnx.Probabilities);
        output.WriteLine($"{what}: {images.Count} images, classes differ on {semisup.Predictions.Zip(onnx.Predictions).Count(p => p.First != p.Second)}, max |Δp| {diff:E2}, accuracy {semisup.Accuracy:P2} vs {onnx.Accuracy:P2}, {semisup.Predictions.Distinct().Count()} classes predicted");
        ExportModels.AssertSameClasses(semisup.Predictions, semisup.Probabilities, onnx.Predictions, exact, Tolerance);
        Assert.True(diff <= Tolerance, $"{what}: probabilities differ by up to {diff:E2}");
        Assert.Equal(semisup.Loss, onnx.Loss, 1e-4);
    }

    [Fact]
    public void The_shipped_checkpoint_scores_the_whole_test_set_alike_in_onnx_runtime()
    {
        var (model, _) = ExportModels.LoadShipped();
        using var _ = model;
        using var test = ExportModels.TestImages(mnist, 10000);
        AssertOnnxAgrees(model, test, "shipped gamma-seed1", exact: true);
    }

    internal static readonly Dictionary<string, Func<ConvNet>> Nets = new()
    {
        ["defaults"] = () => new(new()),
        ["tanh, classic dropout, beta, standardised, narrow"] = () => new(new(Activation: "tanh", DropoutKind: "classic", Dropout: 0.3, SoftmaxBeta: 2.5, InputMean: 0.13, InputStd: 0.31, HiddenUnits: 50)),
        // Negative batch-norm scales in the pooled layers: their batch norm stays after the pooling (no fold through max).
        ["leaky relu, negative scales"] = () => WithScales(new(new()), "bn1.weight", "bn3.weight"),
        ["sigmoid"] = () => new(new(Activation: "sigmoid")),
        ["relu, hand-derived"] = () => new(new(Activation: "relu", HandDerived: true, BnScaleInit: "uniform01")),
    };

    /// <summary>The named batch-norm scales drawn from U(−1, 1).</summary>
    static ConvNet WithScales(ConvNet net, params string[] names)
    {
        using var _ = no_grad();
        foreach (var name in names) net.get_parameter(name)!.uniform_(-1, 1);
        return net;
    }

    [Theory]
    [InlineData("defaults")]
    [InlineData("tanh, classic dropout, beta, standardised, narrow")]
    [InlineData("leaky relu, negative scales")]
    [InlineData("sigmoid")]
    [InlineData("relu, hand-derived")]
    public void A_random_conv_net_with_trained_batch_norm_statistics_agrees(string what)
    {
        manual_seed(38);
        using var images = ExportModels.TestImages(mnist, 2000);
        using var net = ExportModels.WithBatchNormUpdates(Nets[what](), images);
        AssertOnnxAgrees(net, images, what);
    }

    [Fact]
    public void Negative_scales_keep_a_batch_norm_node_and_positive_ones_fold()
    {
        using var folded = new ConvNet(new());
        using var unfolded = Nets["leaky relu, negative scales"]();
        int BatchNorms(ConvNet net) => OnnxExport.Build(net, ExportModels.Metadata()).Graph.Node.Count(n => n.OpType == "BatchNormalization");
        Assert.Equal(0, BatchNorms(folded));
        Assert.Equal(2, BatchNorms(unfolded)); // bn1 and bn3, the pooled layers
    }

    [Fact]
    public void The_ladders_classifier_path_agrees()
    {
        using var images = ExportModels.TestImages(mnist, 2000);
        manual_seed(38);
        using var ladder = new LadderNet(new LadderConfig(LadderConfig.PaperLayers));
        using (no_grad())
            foreach (var (name, p) in ladder.named_parameters().Where(p => p.name.StartsWith("beta") || p.name.StartsWith("gamma")))
                if (name.StartsWith("beta")) p.uniform_(-0.2, 0.2); else p.uniform_(0.5, 1.5); // away from 0 and 1: the fold is tested
        ExportModels.WithBatchNormUpdates(ladder, images);
        AssertOnnxAgrees(ladder, images, "random ladder 784-1000-500-250-250-250-10");
    }

    [Fact]
    public async Task An_export_of_a_calibrated_checkpoint_gives_the_probabilities_evaluate_gives_with_its_temperature()
    {
        using var dir = new TempDir();
        var path = dir["best.ckpt"];
        File.Copy(ExportModels.ShippedPath, path);
        // The shipped gamma model is underconfident (its logits are small): its fitted temperature is about 0.4.
        const double t = 0.4;
        Checkpoint.SaveTemperature(path, t);
        LocateData locate = _ => Task.FromResult(mnist.Dir);
        var exported = await Exporting.ExportAsync(path, "onnx", dir["m.onnx"], locate);
        Assert.Equal(t, exported.Temperature);

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir["m.onnx"]));
        Assert.Equal(["Div", "Softmax"], proto.Graph.Node.TakeLast(2).Select(n => n.OpType));
        Assert.Equal("0.4", proto.MetadataProps.Single(p => p.Key == "temperature").Value);

        var evaluate = (await Scoring.EvaluateAsync([path], "test", locate)).Members[0].Evaluation;
        var onnx = (await Exporting.EvaluateOnnxAsync(dir["m.onnx"], "test", locate)).Evaluation;
        double diff = ExportModels.MaxDifference(evaluate.Probabilities, onnx.Probabilities);
        output.WriteLine($"max |Δp| {diff:E2}; loss {evaluate.Loss} vs {onnx.Loss}; ECE {evaluate.ExpectedError} vs {onnx.ExpectedError} (raw {evaluate.Raw!.ExpectedError})");
        Assert.True(diff <= Tolerance, $"probabilities differ by up to {diff:E2}");
        Assert.Equal(evaluate.Predictions, onnx.Predictions);
        Assert.Equal(evaluate.Loss, onnx.Loss, 1e-4);
        Assert.Equal(evaluate.ExpectedError, onnx.ExpectedError, 1e-4);
        // Not the raw probabilities: the temperature is in the graph.
        Assert.True(ExportModels.MaxDifference(evaluate.Raw.Probabilities, onnx.Probabilities) > 0.1);
        Assert.True(evaluate.ExpectedError < evaluate.Raw.ExpectedError);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void The_batch_dimension_is_dynamic(int batch)
    {
        var (model, _) = ExportModels.LoadShipped();
        using var _ = model;
        using var dir = new TempDir();
        using var images = ExportModels.TestImages(mnist, 20);
        OnnxExport.Write(model, ExportModels.Metadata(), dir["m.onnx"]);
        using var scorer = new OnnxScorer(dir["m.onnx"]);
        using var batchImages = images.Slice(3, batch);
        var (logits, probabilities) = scorer.Run(batchImages);
        Assert.Equal(batch * 10, logits.Length);
        var semisup = Evaluator.Probabilities(model, batchImages);
        Assert.True(ExportModels.MaxDifference(semisup, probabilities) <= Tolerance);
    }

    [Fact]
    public void The_file_names_its_input_outputs_opset_and_metadata()
    {
        var (model, recipe) = ExportModels.LoadShipped();
        using var _ = model;
        // The graph of a checkpoint without a temperature; with one, a Div precedes the Softmax (tested below).
        model.Temperature = null;
        var metadata = Exporting.Metadata(recipe, 0.9935);
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.Build(model, metadata).ToByteArray());
        Assert.Equal(OnnxExport.Opset, Assert.Single(proto.OpsetImport).Version);
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal("images", input.Name);
        Assert.Equal(["N", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam != "" ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal(["logits", "probabilities"], proto.Graph.Output.Select(o => o.Name));
        // The lab's network, batch norm folded away and no dropout node.
        Assert.Equal(["Conv", "MaxPool", "LeakyRelu", "Conv", "LeakyRelu", "Conv", "MaxPool", "LeakyRelu", "Conv", "LeakyRelu", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"],
            proto.Graph.Node.Select(n => n.OpType));
        var props = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("mnist", props["dataset"]);
        Assert.Equal("[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]", props["classes"]);
        Assert.Equal("[\"N\",1,28,28]", props["input_shape"]);
        Assert.Equal("0.9935", props["test_accuracy"]);
        Assert.Equal("gamma", JsonDocument.Parse(props["recipe"]).RootElement.GetProperty("name").GetString());
        Assert.StartsWith("1.", props["semisup_version"]);
        Assert.Equal("Semisup", proto.ProducerName);
    }

    [SkippableFact]
    public void The_official_onnx_checker_accepts_every_variant()
    {
        Skip.IfNot(ExportModels.PythonImports("onnx"), $"the onnx package is not installed for {ExportModels.Python} (Debian's python3-onnx)");
        using var dir = new TempDir();
        var (shipped, _) = ExportModels.LoadShipped();
        shipped.Temperature = 0.4; // its Div node checked too
        using var ladder = new LadderNet(new LadderConfig(LadderConfig.PaperLayers));
        List<Classifier> models = [shipped, ladder, .. Nets.Values.Select(n => n())];
        var files = models.Select((m, i) => dir[$"{i}.onnx"]).ToArray();
        foreach (var (m, file) in models.Zip(files)) OnnxExport.Write(m, ExportModels.Metadata(), file);
        foreach (var m in models) m.Dispose();
        // full_check runs strict shape inference as well: every node's inputs, attributes and output shapes.
        const string check = "import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)";
        var (code, log) = ExportModels.RunPython(["-c", check, .. files]);
        Assert.True(code == 0, log);
    }

    [Fact]
    public void A_file_that_is_not_a_semisup_export_is_refused_with_a_reason()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["junk.onnx"], "not a model");
        Assert.Contains("ONNX Runtime cannot load it", Assert.Throws<SemisupException>(() => new OnnxScorer(dir["junk.onnx"])).Message);
        Assert.Contains("no such file", Assert.Throws<SemisupException>(() => new OnnxScorer(dir["none.onnx"])).Message);
    }
}
