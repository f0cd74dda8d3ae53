using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>A network of today's shape, beside the lab's: stages of 3×3 convolutions with padding, each followed by
/// batch norm and ReLU, 2×2 max pooling between stages, global average pooling, one linear layer.</summary>
/// <param name="Widths">Channels of each stage (its convolutions all have that many).</param>
/// <param name="ConvsPerStage">Convolutions in each stage.</param>
public sealed record GapNetConfig(int[] Widths, int ConvsPerStage = 2, double InputMean = 0.1307, double InputStd = 0.3081,
    int Channels = 1, int Height = 28,
    int Width = 28, int Classes = 10) : ModelOptions
{
    public static readonly int[] DefaultWidths = [32, 64, 128];

    public GapNetConfig() : this(DefaultWidths) { }

    /// <summary>The convolutions' (input channels, output channels, height and width of their input) from the first on.</summary>
    IEnumerable<(int In, int Out, int Height, int Width)> Convolutions()
    {
        int channels = Channels, height = Height, width = Width;
        for (int s = 0; s < Widths.Length; s++, height /= 2, width /= 2)
            for (int c = 0; c < ConvsPerStage; c++, channels = Widths[s])
                yield return (channels, Widths[s], height, width);
    }

    /// <summary>Height and width of the last stage's input and output: the image halved (rounded down) by the pooling
    /// between each two stages.</summary>
    public (int Height, int Width) FeatureMap => (Height >> Math.Max(0, Widths.Length - 1), Width >> Math.Max(0, Widths.Length - 1));

    public override double Parameters =>
        Convolutions().Sum(c => 9.0 * c.In * c.Out + 2.0 * c.Out) + ((double)(Widths.Length > 0 ? Widths[^1] : 0) + 1) * Classes;

    /// <summary>Multiply-adds of one image's pass: the convolutions at their inputs' size (padding keeps it), and the linear layer.</summary>
    public override double MultiplyAdds => Convolutions().Sum(c => 9.0 * c.In * c.Out * c.Height * c.Width) + (double)(Widths.Length > 0 ? Widths[^1] : 0) * Classes;

    public override IEnumerable<string> Problems()
    {
        if (Widths.Length == 0 || Widths.Any(w => w < 1)) yield return $"widths: [{string.Join(", ", Widths)}]; give at least one stage, each at least 1 channel";
        if (ConvsPerStage < 1) yield return $"convsPerStage: {ConvsPerStage} must be at least 1";
        if (FeatureMap.Height < 1 || FeatureMap.Width < 1)
            yield return $"widths: images of {Height}×{Width} are too small for {Widths.Length} stages: the {Widths.Length - 1} poolings between them " +
                $"halve them to {FeatureMap.Height}×{FeatureMap.Width}; give at most {1 + (int)Math.Log2(Math.Min(Height, Width))} widths";
        if (InputStd <= 0) yield return $"inputStd: {InputStd} must be positive";
    }

    public override ModelOptions ForInput(int channels, int height, int width, int classes) =>
        this with { Channels = channels, Height = height, Width = width, Classes = classes };

    public override Classifier Build(int channels, int height, int width, int classes) =>
        new GapNet((GapNetConfig)ForInput(channels, height, width, classes));
}

/// <summary>The network of <see cref="GapNetConfig"/>: for each stage, (conv 3×3 → BN → ReLU) × n, then max pooling
/// (not after the last); global average pooling; linear.</summary>
public sealed class GapNet : Classifier
{
    public GapNetConfig Config { get; }
    readonly ModuleList<Sequential> stages = new();
    readonly Linear head;

    public GapNet(GapNetConfig config) : base(nameof(GapNet))
    {
        if (config.Problems().FirstOrDefault() is { } problem) throw new SemisupException($"Cannot build the network: {problem}.");
        Config = config;
        int channels = config.Channels;
        foreach (var width in config.Widths)
        {
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            for (int c = 0; c < config.ConvsPerStage; c++, channels = width)
            {
                layers.Add(($"conv{c + 1}", Conv2d(channels, width, 3, padding: 1, bias: false)));
                layers.Add(($"bn{c + 1}", BatchNorm2d(width)));
                layers.Add(($"relu{c + 1}", ReLU()));
            }
            stages.Add(Sequential(layers));
        }
        head = Linear(channels, config.Classes);
        RegisterComponents();
        foreach (var (_, m) in named_modules())
            if (m is Conv2d conv) init.kaiming_normal_(conv.weight!, nonlinearity: init.NonlinearityType.ReLU);
    }

    public override int Classes => Config.Classes;

    /// <summary>It has no noise of its own: its noisy path is its clean one.</summary>
    public override Tensor Noisy(Tensor x) => forward(x);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = (x - Config.InputMean) / Config.InputStd;
        for (int s = 0; s < stages.Count; s++)
        {
            x = stages[s].call(x);
            if (s < stages.Count - 1) x = functional.max_pool2d(x, 2);
        }
        x = x.mean([2, 3]);
        return head.call(x).MoveToOuterDisposeScope();
    }
}
