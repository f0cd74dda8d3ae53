using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Semisup.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>What the exported model takes: images of <paramref name="Channels"/>×<paramref name="Height"/>×<paramref name="Width"/>
/// raw pixels in [0, 1], and what they show (a phrase ending the input's description, such as "white digits on black
/// as in MNIST"), if the caller knows.</summary>
public sealed record OnnxInput(int Channels, int Height, int Width, string? Shows = null)
{
    /// <summary>The input's description in the file, such as "RGB pixels in [0, 1], 3×32×32 (C×H×W)".</summary>
    public string Description =>
        $"{(Channels == 3 ? "RGB" : Channels == 1 ? "gray" : $"{Channels}-channel")} pixels in [0, 1], {Channels}×{Height}×{Width} (C×H×W){(Shows is { } s ? $"; {s}" : "")}";

    /// <summary>The ONNX shape with the dynamic batch first, as the metadata and the CLI write it: [N,3,32,32].</summary>
    public string Shape => $"[N,{Channels},{Height},{Width}]";
}

/// <summary>A trained classifier's evaluation graph as an ONNX model. Input "images": float32 [N, C, H, W], raw
/// pixels in [0, 1] (<see cref="OnnxInput"/>), N dynamic; outputs "logits" and "probabilities" [N, classes].
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

    /// <summary>The model as an ONNX ModelProto for images of <paramref name="input"/>'s shape (by default the shape
    /// the model was built for), with <paramref name="metadata"/> in its metadata_props (<see cref="ExportMetadata"/>
    /// names the usual keys) and the input's shape and description added.</summary>
    public static ModelProto Build(Classifier model, IReadOnlyDictionary<string, string> metadata, OnnxInput? input = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        input = CheckInput(model, input ?? InputOf(model));
        var g = new OnnxGraph();
        var logits = model switch
        {
            ConvNet net => ConvNetGraph(g, net),
            GapNet net => GapNetGraph(g, net),
            AirbenchNet net => AirbenchGraph(g, net),
            LadderNet ladder => LadderGraph(g, ladder),
            _ => throw new SemisupException($"ONNX export knows the conv, gap, airbench and ladder networks, not {model.GetType().Name}."),
        };
        g.Rename(logits, Logits);
        // Temperature scaling: the probabilities are softmax(logits / T), as Semisup's scoring computes them.
        var scaled = model.Temperature is { } t ? g.Node("Div", [Logits, g.Scalar("temperature", t)]) : Logits;
        g.Node("Softmax", [scaled], [OnnxGraph.Int("axis", 1)], Probabilities);
        var (c, h, w) = (input.Channels, input.Height, input.Width);
        g.Proto.Input.Add(OnnxGraph.Value(Input, input.Description, null, c, h, w));
        g.Proto.Output.Add(OnnxGraph.Value(Logits, "pre-softmax class scores", null, model.Classes));
        g.Proto.Output.Add(OnnxGraph.Value(Probabilities, model.Temperature is { } temperature
            ? $"softmax of the logits divided by the temperature {temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (metadata '{ExportMetadata.Temperature}')"
            : "softmax of the logits", null, model.Classes));
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Semisup",
            ProducerVersion = metadata.GetValueOrDefault(ExportMetadata.SemisupVersion, ExportMetadata.Version),
            DocString = $"Semisup {model.GetType().Name}: images {input.Shape} ({input.Description}) -> logits, probabilities [N,{model.Classes}]",
            Graph = g.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        var props = new Dictionary<string, string>(ExportMetadata.WithTemperature(metadata, model.Temperature))
        {
            [ExportMetadata.InputShape] = JsonSerializer.Serialize<object[]>(["N", c, h, w]),
            [ExportMetadata.InputDescription] = input.Description,
        };
        foreach (var (key, value) in props) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>Writes <see cref="Build"/>'s model to <paramref name="path"/>.</summary>
    public static void Write(Classifier model, IReadOnlyDictionary<string, string> metadata, string path, OnnxInput? input = null) =>
        File.WriteAllBytes(path, Build(model, metadata, input).ToByteArray());

    /// <summary>The images the model was built for; the ladder knows only their pixel count, which 1×28×28 it takes to be
    /// when it is 784.</summary>
    public static OnnxInput InputOf(Classifier model) => model switch
    {
        ConvNet { Config: var c } => new(c.Channels, c.Height, c.Width),
        GapNet { Config: var c } => new(c.Channels, c.Height, c.Width),
        AirbenchNet { Config: var c } => new(c.Channels, c.ImageHeight, c.ImageWidth),
        LadderNet { Config.Layers: [784, ..] } => new(1, 28, 28),
        LadderNet ladder => throw new SemisupException($"ONNX export of the ladder needs its images' shape: its {ladder.Config.Layers[0]} inputs could be any C×H×W."),
        _ => throw new SemisupException($"ONNX export knows the conv, gap, airbench and ladder networks, not {model.GetType().Name}."),
    };

    /// <summary>Refuses an input the model was not built for: the graph would fail in ONNX Runtime, not here.</summary>
    static OnnxInput CheckInput(Classifier model, OnnxInput input)
    {
        var (c, h, w) = (input.Channels, input.Height, input.Width);
        bool fits = model is LadderNet ladder
            ? (long)c * h * w == ladder.Config.Layers[0]
            : InputOf(model) is var built && (built.Channels, built.Height, built.Width) == (c, h, w);
        if (!fits || c < 1 || h < 1 || w < 1)
            throw new SemisupException($"ONNX export: the {model.GetType().Name} does not take images of {c}×{h}×{w} (export it at the shape it was trained on).");
        return input;
    }

    static string ConvNetGraph(OnnxGraph g, ConvNet net)
    {
        var c = net.Config;
        var w = new Weights(net);
        string x = Input;
        // ConvNet skips the identity too, so the graph computes exactly what it does.
        if (c.InputMean != 0 || c.InputStd != 1) x = Standardise(g, x, c.InputMean, c.InputStd);
        for (int i = 1; i <= 4; i++) x = Activation(g, c, ConvBatchNorm(g, w, $"conv{i}", $"bn{i}", x, pool: i is 1 or 3));
        x = g.Node("Flatten", [x], [OnnxGraph.Int("axis", 1)]);
        x = g.Node("Relu", [LinearBatchNorm(g, w, "fc1", "bn5", x)]);
        // Inverted dropout is the identity in evaluation; classic dropout scales by the keep probability (ClassicDropout).
        if (c.DropoutKind == "classic") x = g.Node("Mul", [x, g.Scalar("dropout_keep", 1 - c.Dropout)]);
        x = LinearBatchNorm(g, w, "fc2", "bn6", x);
        return c.SoftmaxBeta == 1 ? x : g.Node("Mul", [x, g.Scalar("softmax_beta", c.SoftmaxBeta)]);
    }

    /// <summary>GapNet: per stage (3×3 conv, padded, with its batch norm folded → ReLU) × n, 2×2 max pooling between
    /// stages, global average pooling, the linear head.</summary>
    static string GapNetGraph(OnnxGraph g, GapNet net)
    {
        var c = net.Config;
        var w = new Weights(net);
        string x = Standardise(g, Input, c.InputMean, c.InputStd);
        for (int s = 0; s < c.Widths.Length; s++)
        {
            if (s > 0) x = MaxPool(g, x);
            for (int i = 1; i <= c.ConvsPerStage; i++)
                x = g.Node("Relu", [ConvBatchNorm(g, w, $"stages.{s}.conv{i}", $"stages.{s}.bn{i}", x, padding: 1)]);
        }
        x = g.Node("Flatten", [g.Node("GlobalAveragePool", [x])], [OnnxGraph.Int("axis", 1)]);
        return g.Node("Gemm", [x, g.Weight("head.weight", w["head.weight"]), g.Weight("head.bias", w["head.bias"])], [OnnxGraph.Int("transB", 1)]);
    }

    /// <summary>AirbenchNet: the stem (2×2 conv with its batch norm folded → GELU), three groups of (3×3 conv → 2×2 max
    /// pool → batch norm → GELU → 3×3 conv with its batch norm folded → GELU), global max pooling, the head without
    /// bias, times the output scale. The pooled batch norm folds into its convolution as in ConvNet.</summary>
    static string AirbenchGraph(OnnxGraph g, AirbenchNet net)
    {
        var c = net.Config;
        var w = new Weights(net);
        string x = Standardise(g, Input, c.InputMean, c.InputStd);
        x = Gelu(g, ConvBatchNorm(g, w, "stem.conv", "stem.norm", x));
        for (int i = 1; i <= 3; i++)
        {
            x = Gelu(g, ConvBatchNorm(g, w, $"group{i}.conv1", $"group{i}.norm1", x, pool: true, padding: 1));
            x = Gelu(g, ConvBatchNorm(g, w, $"group{i}.conv2", $"group{i}.norm2", x, padding: 1));
        }
        x = g.Node("Flatten", [g.Node("GlobalMaxPool", [x])], [OnnxGraph.Int("axis", 1)]);
        x = g.Node("Gemm", [x, g.Weight("head.weight", w["head.weight"])], [OnnxGraph.Int("transB", 1)]);
        return g.Node("Mul", [x, g.Scalar("output_scale", c.OutputScale)]);
    }

    /// <summary>(x − mean) / std, as the networks standardise their input.</summary>
    static string Standardise(OnnxGraph g, string x, double mean, double std) =>
        g.Node("Div", [g.Node("Sub", [x, g.Scalar("input_mean", mean)]), g.Scalar("input_std", std)]);

    /// <summary>The exact GELU as libtorch computes it, (x·0.5)·(1 + erf(x·(1/√2))); ONNX's Gelu operator arrived in opset 20.</summary>
    static string Gelu(OnnxGraph g, string x)
    {
        var erf = g.Node("Erf", [g.Node("Mul", [x, g.Scalar("sqrt1_2", 1 / Math.Sqrt(2))])]);
        var half = g.Node("Mul", [x, g.Scalar("half", 0.5)]);
        return g.Node("Mul", [half, g.Node("Add", [erf, g.Scalar("one", 1)])]);
    }

    static string MaxPool(OnnxGraph g, string x) =>
        g.Node("MaxPool", [x], [OnnxGraph.Ints("kernel_shape", 2, 2), OnnxGraph.Ints("strides", 2, 2)]);

    /// <summary>A module's parameters and buffers by state_dict name, and its batch norms' ε by module name.</summary>
    sealed class Weights(Classifier model)
    {
        readonly Dictionary<string, Tensor> tensors = model.state_dict();
        public Dictionary<string, double> Eps { get; } =
            model.named_modules().Where(m => m.module is BatchNorm).ToDictionary(m => m.name, m => ((BatchNorm)m.module).eps);
        public Tensor this[string name] => tensors[name];
        public Tensor? Find(string name) => tensors.GetValueOrDefault(name);
    }

    /// <summary>{conv} (its bias, if any; padded by <paramref name="padding"/>) → (2×2 max pool) → {bn}, the batch norm
    /// folded as ConvNet folds it, with the same float32 arithmetic: scale = γ/√(σ²+ε), W·scale, (b − μ)·scale + β.
    /// A pooled layer with a negative scale keeps its batch norm after the pooling, as ConvNet does: max commutes only
    /// with non-decreasing maps.</summary>
    static string ConvBatchNorm(OnnxGraph g, Weights w, string conv, string bn, string x, bool pool = false, long padding = 0)
    {
        string Pool(string t) => pool ? MaxPool(g, t) : t;
        AttributeProto[] pads = padding == 0 ? [] : [OnnxGraph.Ints("pads", padding, padding, padding, padding)];
        var eps = w.Eps[bn];
        var scale = w[$"{bn}.weight"] / (w[$"{bn}.running_var"] + eps).sqrt();
        var convBias = w.Find($"{conv}.bias");
        if (pool && !scale.ge(0).all().item<bool>())
        {
            string[] convInputs = convBias is null ? [x, g.Weight($"{conv}.weight", w[$"{conv}.weight"])]
                : [x, g.Weight($"{conv}.weight", w[$"{conv}.weight"]), g.Weight($"{conv}.bias", convBias)];
            var pooled = Pool(g.Node("Conv", convInputs, pads));
            string[] stats = [.. new[] { "weight", "bias", "running_mean", "running_var" }.Select(p => g.Weight($"{bn}.{p}", w[$"{bn}.{p}"]))];
            return g.Node("BatchNormalization", [pooled, .. stats], [OnnxGraph.Float("epsilon", eps)]);
        }
        var weight = g.Weight($"{conv}_{bn}.weight", w[$"{conv}.weight"] * scale.view(-1, 1, 1, 1));
        // Without a bias the fold is −μ·scale + β, as (0 − μ)·scale + β computes it.
        var bias = g.Weight($"{conv}_{bn}.bias", ((convBias ?? zeros_like(scale)) - w[$"{bn}.running_mean"]) * scale + w[$"{bn}.bias"]);
        return Pool(g.Node("Conv", [x, weight, bias], pads));
    }

    /// <summary>A fully connected layer and its batch norm folded into one Gemm, as <see cref="ConvBatchNorm"/>.</summary>
    static string LinearBatchNorm(OnnxGraph g, Weights w, string fc, string bn, string x)
    {
        var scale = w[$"{bn}.weight"] / (w[$"{bn}.running_var"] + w.Eps[bn]).sqrt();
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
