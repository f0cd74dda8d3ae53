using Semisup.Models;
using Semisup.Nn;
using static TorchSharp.torch;

namespace Semisup.Tests.Nn;

public class InitAndDropoutTests
{
    [Theory]
    [InlineData("uniform")]
    [InlineData("xavier")]
    [InlineData("he")]
    public void Each_initialisation_has_its_bound_or_standard_deviation(string name)
    {
        manual_seed(1);
        using var net = new ConvNet(new ConvNetConfig());
        Init.Apply(net, name, 0.1);
        foreach (var (param, p) in net.named_parameters())
        {
            if (param.StartsWith("bn")) { Assert.True(param.EndsWith("bias") ? p.abs().max().item<float>() == 0 : p.eq(1).all().item<bool>(), param); continue; }
            if (param.EndsWith("bias")) { Assert.Equal(0f, p.abs().max().item<float>()); continue; }
            var (fanIn, fanOut) = Init.Fans(p);
            double max = p.abs().max().item<float>(), std = p.std().item<float>();
            switch (name)
            {
                case "uniform": Assert.InRange(max, 0.09, 0.1); break;
                case "xavier":
                    var bound = Math.Sqrt(6.0 / (fanIn + fanOut));
                    Assert.InRange(max, 0.9 * bound, bound);
                    Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
                    break;
                case "he":
                    Assert.InRange(std, 0.85 * Math.Sqrt(2.0 / fanIn), 1.15 * Math.Sqrt(2.0 / fanIn));
                    break;
            }
        }
        Assert.Equal((32L * 9, 64L * 9), Init.Fans(net.state_dict()["conv2.weight"]));
        Assert.Throws<SemisupException>(() => Init.Apply(net, "orthogonal"));
    }

    [Theory]
    [InlineData("ones", 1.0, 1.0)]
    [InlineData("uniform01", 0.0, 1.0)]
    [InlineData("uniform", -0.1, 0.1)]
    public void Batch_norm_scales_fill_their_range_and_nothing_else_changes(string how, double low, double high)
    {
        manual_seed(3);
        using var net = new ConvNet(new ConvNetConfig(BnScaleInit: how));
        manual_seed(3);
        using var reference = new ConvNet(new ConvNetConfig());
        var scales = new List<float>();
        foreach (var (param, p) in net.named_parameters())
        {
            if (param.StartsWith("bn") && param.EndsWith("weight")) { scales.AddRange(p.data<float>().ToArray()); continue; }
            Assert.True(p.eq(reference.state_dict()[param]).all().item<bool>(), param);
        }
        Assert.Equal(32 + 64 + 64 + 128 + 100 + 10, scales.Count);
        Assert.InRange(scales.Min(), low, high);
        Assert.InRange(scales.Max(), low, high);
        // Drawn, not constant: the 398 scales nearly span the range.
        if (low < high) Assert.True(scales.Max() - scales.Min() > 0.95 * (high - low), $"{scales.Min()}..{scales.Max()}");
        Assert.Throws<SemisupException>(() => Init.BatchNormScales(net, "zeros"));
    }

    [Fact]
    public void Classic_and_inverted_dropout_have_expected_training_outputs_equal_to_their_test_outputs()
    {
        manual_seed(2);
        using var x = rand(200_000) + 0.5;
        using var classic = new ClassicDropout(0.5);
        using var inverted = nn.Dropout(0.5);
        classic.train(); inverted.train();
        using var classicTrain = classic.call(x);
        using var invertedTrain = inverted.call(x);
        classic.eval(); inverted.eval();
        using var classicTest = classic.call(x);
        using var invertedTest = inverted.call(x);
        Assert.Equal(classicTest.mean().item<float>(), classicTrain.mean().item<float>(), 2);
        Assert.Equal(invertedTest.mean().item<float>(), invertedTrain.mean().item<float>(), 2);
        Assert.Equal(0.5f, classicTest.mean().item<float>() / x.mean().item<float>(), 5); // test outputs scaled by q
        Assert.True(classicTrain.eq(0).logical_or(classicTrain.eq(x)).all().item<bool>(), "classic training output: kept unscaled or 0");
        Assert.Throws<SemisupException>(() => new ClassicDropout(1.0));
    }
}
