using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

public class AirbenchNetTests
{
    /// <summary>Same shape and the same values, bit for bit.</summary>
    static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Fact]
    public void Its_counts_are_those_of_a_hand_count_of_a_tiny_network()
    {
        // Width 2, one channel, 10×10 images, 3 classes. The stem's 2×2 convolution makes 9×9; each group's first
        // convolution runs at its input's size, then the pooling halves it: 9 → 4 → 2 → 1.
        var config = new AirbenchConfig(Width: 2, Channels: 1, ImageHeight: 10, ImageWidth: 10, Classes: 3);
        double stem = 1 * 4 * 24, g1c1 = 9 * 24 * 2, g1c2 = 9 * 2 * 2, g2c1 = 9 * 2 * 8, g2c2 = 9 * 8 * 8, g3c1 = 9 * 8 * 8, g3c2 = 9 * 8 * 8, head = 8 * 3;
        double norms = 2 * (24 + 2 + 2 + 8 + 8 + 8 + 8);
        Assert.Equal(stem + g1c1 + g1c2 + g2c1 + g2c2 + g3c1 + g3c2 + head + norms, config.Parameters);
        Assert.Equal(2580, config.Parameters);
        Assert.Equal(stem * 81 + g1c1 * 81 + g1c2 * 16 + g2c1 * 16 + g2c2 * 4 + g3c1 * 4 + g3c2 * 1 + head, config.MultiplyAdds);
        Assert.Equal(50_856, config.MultiplyAdds);
    }

    [Theory]
    [InlineData(64, 3, 32, 32, 1_972_816, 118_147_360)] // airbench94's width; the numbers of the doc comment and docs/recipes.md
    [InlineData(32, 3, 32, 32, 498_128, 33_066_272)]
    [InlineData(32, 1, 28, 28, 497_936, 24_841_568)]
    public void The_documented_counts_are_the_methods(int width, int channels, int height, int imageWidth, double parameters, double multiplyAdds)
    {
        var config = new AirbenchConfig(width).ForInput(channels, height, imageWidth, 10);
        Assert.Equal(parameters, config.Parameters);
        Assert.Equal(multiplyAdds, config.MultiplyAdds);
    }

    [Theory]
    [InlineData(3, 32, 32, 10)]
    [InlineData(1, 28, 28, 10)]
    [InlineData(3, 96, 96, 4)]
    [InlineData(3, 40, 64, 7)] // not square
    [InlineData(1, 9, 9, 2)] // the smallest its arithmetic allows
    public void It_takes_any_channels_and_size_its_arithmetic_allows_and_its_parameters_are_those_it_announces(int channels, int height, int width, int classes)
    {
        var config = new AirbenchConfig(Width: 8);
        using var net = config.Build(channels, height, width, classes);
        Assert.Equal(config.ForInput(channels, height, width, classes).Parameters, net.parameters().Sum(p => (double)p.numel()));
        using var x = rand(3, channels, height, width);
        using var y = net.call(x);
        Assert.Equal([3L, classes], y.shape);
        net.eval();
        using var z = net.call(x);
        Assert.Equal([3L, classes], z.shape);
    }

    [Fact]
    public void Images_too_small_are_refused_at_validation_with_their_numbers()
    {
        var problems = new AirbenchConfig().ForInput(3, 8, 12, 10).Problems().ToList();
        Assert.Equal(["images of 8×12 are too small for the airbench network: its stem takes 1 pixel and its three poolings halve 7×11 to 0×1; it needs at least 9×9"], problems);
        var e = Assert.Throws<SemisupException>(() => new AirbenchConfig().Build(1, 8, 8, 10));
        Assert.StartsWith("Cannot build the network: images of 8×8 are too small", e.Message);
    }

    [Fact]
    public void Its_layers_carry_airbenchs_names_and_its_convolutions_start_with_identity_filters()
    {
        using var net = (AirbenchNet)new AirbenchConfig(Width: 4).Build(3, 32, 32, 10);
        var sd = net.state_dict();
        Assert.Equal([24L, 3, 2, 2], sd["stem.conv.weight"].shape);
        Assert.Equal([4L, 24, 3, 3], sd["group1.conv1.weight"].shape);
        Assert.Equal([16L, 16, 3, 3], sd["group3.conv2.weight"].shape);
        Assert.Equal([10L, 16], sd["head.weight"].shape);
        Assert.DoesNotContain("head.bias", sd.Keys);
        Assert.DoesNotContain("group1.conv1.bias", sd.Keys);
        // group2.conv1: 4 inputs, 16 outputs; its first 4 filters are identities (1 at the centre of their own channel).
        var w = sd["group2.conv1.weight"];
        for (int i = 0; i < 4; i++)
        {
            using var expected = zeros(4, 3, 3);
            expected[i, 1, 1] = tensor(1f);
            Assert.True(Identical(w[i], expected), $"filter {i} is not the identity");
        }
        Assert.True(w[4].abs().sum().item<float>() > 0, "the other filters keep their random initialisation");
        // The stem's 2×2 kernel has its 1 at index 1, as PyTorch's dirac_.
        Assert.Equal(1f, sd["stem.conv.weight"][2, 2, 1, 1].item<float>());
    }

    [Fact]
    public void Its_head_is_scaled_and_every_parameter_learns()
    {
        manual_seed(3);
        using var net = (AirbenchNet)new AirbenchConfig(Width: 4, OutputScale: 0.5).Build(3, 16, 16, 5);
        using var x = rand(6, 3, 16, 16);
        using var logits = net.call(x);
        using var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2, 3, 4, 0 }));
        loss.backward();
        foreach (var (name, p) in net.named_parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} has no gradient");
        // The head sees the globally max-pooled features; its output is half its linear map.
        net.eval();
        using var again = net.call(x);
        Assert.Equal([6L, 5], again.shape);
    }

    [Fact]
    public void A_recipe_names_it_by_kind_and_validation_counts_it_at_the_datasets_size()
    {
        var r = new Recipe { Model = new AirbenchConfig(Width: 32) }.Validate();
        Assert.Equal("airbench", r.ModelKind);
        Assert.Equal(24_841_568, r.SizedModel.MultiplyAdds); // MNIST's 1×28×28
        using var dir = new TempDir();
        File.WriteAllText(dir["airbench.json"], """{ "model": { "kind": "airbench", "width": 16, "outputScale": 0.125 } }""");
        var back = Recipe.Load(dir["airbench.json"]);
        Assert.Equal(new AirbenchConfig(Width: 16, OutputScale: 0.125), back.Model);
        Assert.Contains("model.width: 0 must be at least 1", Assert.Throws<SemisupException>(() => new Recipe { Model = new AirbenchConfig(Width: 0) }.Validate()).Message);
    }
}
