using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>Options of <see cref="AirbenchNet"/>, the network for photos: airbench94's (Keller Jordan's fast CIFAR-10
/// trainer, github.com/KellerJordan/cifar10-airbench), itself a descendant of the ResNet-9 of Page's DAWNBench entry,
/// with a learned stem in place of its whitening layer and global max pooling before the head, so that any image size
/// from about 9 pixels up works (it is meant for 28 to 96).</summary>
/// <param name="Width">Channels of the first group; the second and third have 4 × Width (airbench94: 64, 256, 256).</param>
/// <param name="OutputScale">The head's logits are multiplied by this (airbench94: 1/9; ResNet-9: 1/8), so they start
/// small whatever the width.</param>
/// <param name="NoiseStd">The noisy path's Gaussian noise, added to each group's input (for the Γ and mean-teacher
/// methods); the clean path has none.</param>
/// <param name="Channels">The image's channels, height and width and the classes come from the dataset, not a setting.</param>
public sealed record AirbenchConfig(int Width = 64, double OutputScale = 1.0 / 9, double NoiseStd = 0, double BnMomentum = 0.1,
    double InputMean = 0.5, double InputStd = 0.25,
    int Channels = 1, int ImageHeight = 28,
    int ImageWidth = 28, int Classes = 10) : ModelOptions
{
    /// <summary>The stem's channels and square kernel: airbench94's whitening layer (2 × 3 channels × 2²).</summary>
    public const int StemWidth = 24, StemKernel = 2;

    /// <summary>Output channels of the three groups.</summary>
    public int[] GroupWidths => [Width, 4 * Width, 4 * Width];

    /// <summary>One layer's learned parameters and multiply-adds for one image.</summary>
    public sealed record LayerCount(string Name, double Parameters, double MultiplyAdds);

    /// <summary>Each layer with learned weights, in order, at this config's image size: the stem convolution (no
    /// padding, so H−1 × W−1), each group's two 3×3 convolutions (padded; the first at its input's size, the second
    /// after 2×2 pooling), each batch norm's γ and β (its arithmetic, a few operations per value, is not counted), and
    /// the head (no bias). Counted in double: an absurd width must not overflow the count that refuses it.</summary>
    public IReadOnlyList<LayerCount> Count()
    {
        var layers = new List<LayerCount>();
        double h = ImageHeight - StemKernel + 1, w = ImageWidth - StemKernel + 1;
        double weights = (double)Channels * StemKernel * StemKernel * StemWidth;
        layers.Add(new("stem.conv", weights, weights * h * w));
        layers.Add(new("stem.norm", 2.0 * StemWidth, 0));
        double input = StemWidth;
        for (int g = 0; g < GroupWidths.Length; g++)
        {
            double output = GroupWidths[g];
            layers.Add(new($"group{g + 1}.conv1", 9 * input * output, 9 * input * output * h * w));
            h = Math.Floor(h / 2);
            w = Math.Floor(w / 2);
            layers.Add(new($"group{g + 1}.norm1", 2 * output, 0));
            layers.Add(new($"group{g + 1}.conv2", 9 * output * output, 9 * output * output * h * w));
            layers.Add(new($"group{g + 1}.norm2", 2 * output, 0));
            input = output;
        }
        layers.Add(new("head", input * Classes, input * Classes));
        return layers;
    }

    public override double Parameters => Count().Sum(l => l.Parameters);

    public override double MultiplyAdds => Count().Sum(l => l.MultiplyAdds);

    /// <summary>Height and width of the last group's output, before the global pooling.</summary>
    public (int Height, int Width) FeatureMap => ((ImageHeight - StemKernel + 1) >> 3, (ImageWidth - StemKernel + 1) >> 3);

    public override IEnumerable<string> Problems()
    {
        if (Width < 1) yield return $"width: {Width} must be at least 1";
        if (!(OutputScale > 0)) yield return $"outputScale: {OutputScale} must be positive";
        if (NoiseStd < 0) yield return $"noiseStd: {NoiseStd} must not be negative";
        if (BnMomentum is <= 0 or > 1) yield return $"bnMomentum: {BnMomentum} must be in (0, 1]";
        if (InputStd <= 0) yield return $"inputStd: {InputStd} must be positive";
        if (FeatureMap.Height < 1 || FeatureMap.Width < 1)
            yield return $"images of {ImageHeight}×{ImageWidth} are too small for the airbench network: its stem takes 1 pixel and its three poolings halve " +
                $"{ImageHeight - 1}×{ImageWidth - 1} to {FeatureMap.Height}×{FeatureMap.Width}; it needs at least 9×9";
    }

    public override ModelOptions ForInput(int channels, int height, int width, int classes) =>
        this with { Channels = channels, ImageHeight = height, ImageWidth = width, Classes = classes };

    public override Classifier Build(int channels, int height, int width, int classes) =>
        new AirbenchNet((AirbenchConfig)ForInput(channels, height, width, classes));
}

/// <summary>airbench94's network without its whitening: stem (2×2 conv → BN → GELU), three groups of (3×3 conv → 2×2
/// max pool → BN → GELU → 3×3 conv → BN → GELU), global max pooling, a linear head without bias, times
/// <see cref="AirbenchConfig.OutputScale"/>. As in airbench, the convolutions have no bias (batch norm's β replaces
/// it) and start as PyTorch's default except for identity filters on their first input channels (a residual at
/// initialisation); unlike airbench, whose 10-epoch runs freeze them, the batch-norm scales learn. The layer names
/// are airbench's (group1.conv1, group1.norm1, …).
///
/// At 32×32 RGB and 10 classes (<see cref="AirbenchConfig.Count"/>): width 64, airbench94's, has
/// 1,972,816 parameters and 118,147,360 multiply-adds an image; width 32 has 498,128 and 33,066,272.</summary>
public sealed class AirbenchNet : Classifier
{
    public AirbenchConfig Config { get; }
    readonly Sequential stem;
    readonly ConvGroup group1, group2, group3;
    readonly Linear head;

    public AirbenchNet(AirbenchConfig config) : base(nameof(AirbenchNet))
    {
        if (config.Problems().FirstOrDefault() is { } problem) throw new SemisupException($"Cannot build the network: {problem}.");
        Config = config;
        var w = config.GroupWidths;
        stem = Sequential(
            ("conv", DiracConv(config.Channels, AirbenchConfig.StemWidth, AirbenchConfig.StemKernel, padding: 0)),
            ("norm", BatchNorm2d(AirbenchConfig.StemWidth, momentum: config.BnMomentum)),
            ("activ", GELU()));
        group1 = new ConvGroup(AirbenchConfig.StemWidth, w[0], config.BnMomentum);
        group2 = new ConvGroup(w[0], w[1], config.BnMomentum);
        group3 = new ConvGroup(w[1], w[2], config.BnMomentum);
        head = Linear(w[2], config.Classes, hasBias: false);
        RegisterComponents();
    }

    public override int Classes => Config.Classes;

    public override Tensor forward(Tensor x) => Forward(x, 0);

    public override Tensor Noisy(Tensor x) => Forward(x, Config.NoiseStd);

    Tensor Forward(Tensor x, double noiseStd)
    {
        using var scope = NewDisposeScope();
        x = ConvNet.ChannelsLast((x - Config.InputMean) / Config.InputStd);
        x = stem.call(x);
        x = group1.call(Noise(x, noiseStd));
        x = group2.call(Noise(x, noiseStd));
        x = group3.call(Noise(x, noiseStd));
        x = x.amax([2, 3]); // global max pooling: airbench's 3×3 max pool at 32 px, any size here
        x = head.call(x) * Config.OutputScale;
        return x.MoveToOuterDisposeScope();
    }

    static Tensor Noise(Tensor x, double std) => std > 0 ? x + randn_like(x) * std : x;

    /// <summary>A 3×3 (or <paramref name="kernel"/>) convolution without bias, PyTorch's default initialisation except
    /// that its first min(in, out) filters pass their own input channel through unchanged: airbench's
    /// <c>dirac_(w[:w.size(1)])</c>, whose 1 sits at index kernel / 2 (rounded down).</summary>
    internal static Conv2d DiracConv(int inputs, int outputs, int kernel = 3, int padding = 1)
    {
        var conv = Conv2d(inputs, outputs, kernel, padding: padding, bias: false);
        using var _ = no_grad();
        var weight = conv.weight!;
        int identities = Math.Min(inputs, outputs);
        weight[..identities].zero_();
        for (int i = 0; i < identities; i++) weight[i, i, kernel / 2, kernel / 2] = 1;
        return conv;
    }

    /// <summary>airbench's ConvGroup: conv → pool → BN → GELU → conv → BN → GELU.</summary>
    sealed class ConvGroup : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly MaxPool2d pool;
        readonly BatchNorm2d norm1, norm2;
        readonly GELU activ;

        public ConvGroup(int inputs, int outputs, double bnMomentum) : base(nameof(ConvGroup))
        {
            conv1 = DiracConv(inputs, outputs);
            pool = MaxPool2d(2);
            norm1 = BatchNorm2d(outputs, momentum: bnMomentum);
            conv2 = DiracConv(outputs, outputs);
            norm2 = BatchNorm2d(outputs, momentum: bnMomentum);
            activ = GELU();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = conv1.call(x);
            x = pool.call(x);
            x = norm1.call(x);
            x = activ.call(x);
            x = conv2.call(x);
            x = norm2.call(x);
            return activ.call(x);
        }
    }
}
