using Google.Protobuf;
using Onnx;
using Semisup.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>A trained classifier's evaluation graph as an ONNX model. Input "images": float32 [N, 1, 28, 28], raw
/// pixels in [0, 1] (white digit on black, as MNIST), N dynamic; outputs "logits" and "probabilities" [N, classes].
/// Standardisation is inside the graph, batch norm is folded into the weights (running statistics), dropout is gone
/// (classic dropout's test-time scaling stays), as <see cref="Classifier.forward"/> computes in evaluation mode.</summary>
public static class OnnxExport
{
    /// <summary>Opset 17 (ONNX 1.12, IR version 8): it has every operator used here, ONNX Runtime has run it since 1.13,
    /// and older runtimes and converters than a newer opset's know it.</summary>
    public const int Opset = 17;
    const long IrVersion = 8;

    public const string Input = "images", Logits = "logits", Probabilities = "probabilities";

    /// <summary>LadderNet's ε (its constant is private); the export tests catch a change.</summary>
    const double LadderEps = 1e-5;

    /// <summary>The model as an ONNX ModelProto, with <paramref name="metadata"/> in its metadata_props
    /// (<see cref="ExportMetadata"/> names the usual keys).</summary>
    public static ModelProto Build(Classifier model, IReadOnlyDictionary<string, string> metadata)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new OnnxGraph();
        var logits = model switch
        {
            ConvNet net => ConvNetGraph(g, net),
            LadderNet ladder => LadderGraph(g, ladder),
            _ => throw new SemisupException($"ONNX export knows ConvNet and LadderNet, not {model.GetType().Name}."),
        };
        g.Rename(logits, Logits);
        g.Node("Softmax", [Logits], [OnnxGraph.Int("axis", 1)], Probabilities);
        var (c, h, w) = ImageShape(model);
        g.Proto.Input.Add(OnnxGraph.Value(Input, "raw pixels in [0, 1], white on black as in MNIST", null, c, h, w));
        g.Proto.Output.Add(OnnxGraph.Value(Logits, "pre-softmax class scores", null, model.Classes));
        g.Proto.Output.Add(OnnxGraph.Value(Probabilities, "softmax of the logits", null, model.Classes));
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Semisup",
            ProducerVersion = metadata.GetValueOrDefault(ExportMetadata.SemisupVersion, ExportMetadata.Version),
            DocString = $"Semisup {model.GetType().Name}: images [N,{c},{h},{w}] in [0,1] -> logits, probabilities [N,{model.Classes}]",
            Graph = g.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>Writes <see cref="Build"/>'s model to <paramref name="path"/>.</summary>
    public static void Write(Classifier model, IReadOnlyDictionary<string, string> metadata, string path) =>
        File.WriteAllBytes(path, Build(model, metadata).ToByteArray());

    static (long C, long H, long W) ImageShape(Classifier model) => model switch
    {
        ConvNet net => (net.Config.Channels, net.Config.Height, net.Config.Width),
        LadderNet { Config.Layers: [784, ..] } => (1, 28, 28),
        _ => throw new SemisupException("ONNX export of the ladder needs 784 inputs (28×28 images)."),
    };

    static string ConvNetGraph(OnnxGraph g, ConvNet net)
    {
        var c = net.Config;
        var w = net.state_dict();
        var eps = net.named_modules().Where(m => m.module is BatchNorm).ToDictionary(m => m.name, m => ((BatchNorm)m.module).eps);
        string x = Input;
        // ConvNet skips the identity too, so the graph computes exactly what it does.
        if (c.InputMean != 0 || c.InputStd != 1)
            x = g.Node("Div", [g.Node("Sub", [x, g.Scalar("input_mean", c.InputMean)]), g.Scalar("input_std", c.InputStd)]);
        for (int i = 1; i <= 4; i++) x = Activation(g, c, ConvBatchNorm(g, w, eps, i, pool: i is 1 or 3, x));
        x = g.Node("Flatten", [x], [OnnxGraph.Int("axis", 1)]);
        x = g.Node("Relu", [LinearBatchNorm(g, w, eps, "fc1", "bn5", x)]);
        // Inverted dropout is the identity in evaluation; classic dropout scales by the keep probability (ClassicDropout).
        if (c.DropoutKind == "classic") x = g.Node("Mul", [x, g.Scalar("dropout_keep", 1 - c.Dropout)]);
        x = LinearBatchNorm(g, w, eps, "fc2", "bn6", x);
        return c.SoftmaxBeta == 1 ? x : g.Node("Mul", [x, g.Scalar("softmax_beta", c.SoftmaxBeta)]);
    }

    /// <summary>conv{i} → (2×2 max pool) → bn{i}, the batch norm folded as ConvNet folds it, with the same float32
    /// arithmetic: scale = γ/√(σ²+ε), W·scale, (b − μ)·scale + β. A pooled layer with a negative scale keeps its batch norm
    /// after the pooling, as ConvNet does: max commutes only with non-decreasing maps.</summary>
    static string ConvBatchNorm(OnnxGraph g, Dictionary<string, Tensor> w, Dictionary<string, double> eps, int i, bool pool, string x)
    {
        string conv = $"conv{i}", bn = $"bn{i}";
        string Pool(string t) => pool ? g.Node("MaxPool", [t], [OnnxGraph.Ints("kernel_shape", 2, 2), OnnxGraph.Ints("strides", 2, 2)]) : t;
        var scale = w[$"{bn}.weight"] / (w[$"{bn}.running_var"] + eps[bn]).sqrt();
        if (pool && !scale.ge(0).all().item<bool>())
        {
            var pooled = Pool(g.Node("Conv", [x, g.Weight($"{conv}.weight", w[$"{conv}.weight"]), g.Weight($"{conv}.bias", w[$"{conv}.bias"])]));
            string[] stats = [.. new[] { "weight", "bias", "running_mean", "running_var" }.Select(p => g.Weight($"{bn}.{p}", w[$"{bn}.{p}"]))];
            return g.Node("BatchNormalization", [pooled, .. stats], [OnnxGraph.Float("epsilon", eps[bn])]);
        }
        var weight = g.Weight($"{conv}_{bn}.weight", w[$"{conv}.weight"] * scale.view(-1, 1, 1, 1));
        var bias = g.Weight($"{conv}_{bn}.bias", (w[$"{conv}.bias"] - w[$"{bn}.running_mean"]) * scale + w[$"{bn}.bias"]);
        return Pool(g.Node("Conv", [x, weight, bias]));
    }

    /// <summary>A fully connected layer and its batch norm folded into one Gemm, as <see cref="ConvBatchNorm"/>.</summary>
    static string LinearBatchNorm(OnnxGraph g, Dictionary<string, Tensor> w, Dictionary<string, double> eps, string fc, string bn, string x)
    {
        var scale = w[$"{bn}.weight"] / (w[$"{bn}.running_var"] + eps[bn]).sqrt();
        var weight = g.Weight($"{fc}_{bn}.weight", w[$"{fc}.weight"] * scale.unsqueeze(1));
        var bias = g.Weight($"{fc}_{bn}.bias", (w[$"{fc}.bias"] - w[$"{bn}.running_mean"]) * scale + w[$"{bn}.bias"]);
        return g.Node("Gemm", [x, weight, bias], [OnnxGraph.Int("transB", 1)]);
    }

    static string Activation(OnnxGraph g, ConvNetConfig c, string x) => c.Activation switch
    {
        "leaky_relu" => g.Node("LeakyRelu", [x], [OnnxGraph.Float("alpha", c.LeakySlope)]),
        "relu" => g.Node("Relu", [x]),
        "tanh" => g.Node("Tanh", [x]),
        "sigmoid" => g.Node("Sigmoid", [x]),
        _ => throw new SemisupException($"ONNX export does not know the activation '{c.Activation}'."),
    };

    /// <summary>The ladder's clean encoder in evaluation: per layer z = (W h − μ)/σ with the running statistics, then
    /// ReLU(z + β), at the top γ(z + β); each layer one Gemm with W·γ/σ and γ(β − μ/σ) (γ = 1 below the top).</summary>
    static string LadderGraph(OnnxGraph g, LadderNet net)
    {
        var w = net.state_dict();
        int top = net.Depth;
        var h = g.Node("Flatten", [Input], [OnnxGraph.Int("axis", 1)]);
        for (int l = 1; l <= top; l++)
        {
            var std = (w[$"running_var{l}"] + LadderEps).sqrt();
            var gamma = l == top ? w[$"gamma{top}"] : ones_like(std);
            var weight = g.Weight($"encoder{l}.folded_weight", w[$"encoder{l}.weight"] * (gamma / std).unsqueeze(1));
            var bias = g.Weight($"encoder{l}.folded_bias", gamma * (w[$"beta{l}"] - w[$"running_mean{l}"] / std));
            h = g.Node("Gemm", [h, weight, bias], [OnnxGraph.Int("transB", 1)]);
            if (l < top) h = g.Node("Relu", [h]);
        }
        return h;
    }
}
