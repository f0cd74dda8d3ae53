using Semisup.Models;
using Semisup.Optim;
using static TorchSharp.torch;

namespace Semisup.Tests.Optim;

public class WeightAverageTests
{
    static void Shift(ConvNet net, float by)
    {
        using var _ = no_grad();
        foreach (var t in net.state_dict().Values.Where(t => t.is_floating_point())) t.add_(by);
    }

    static float First(Tensor t) => t.flatten()[0].item<float>();

    [Fact]
    public void The_average_follows_the_trained_weights_with_the_capped_decay()
    {
        manual_seed(3);
        using var trained = new ConvNet(new ConvNetConfig());
        var start = trained.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var average = WeightAverage.Of(trained, () => new ConvNet(new ConvNetConfig()), decay: 0.9);

        average.Update(0); // decay capped at 1 − 1/1 = 0: the average is the trained weights
        Shift(trained, 1);
        average.Update(1); // capped at 1 − 1/2: a = ½·θ₀ + ½·(θ₀ + 1) = θ₀ + 0.5
        Shift(trained, 2);
        average.Update(100); // 0.9: a = 0.9·(θ₀ + 0.5) + 0.1·(θ₀ + 3) = θ₀ + 0.75
        var averaged = average.Model.state_dict();
        foreach (var name in new[] { "conv1.weight", "bn1.running_mean", "bn1.running_var", "fc2.bias" })
            Assert.Equal(First(start[name]) + 0.75f, First(averaged[name]), 5);
        Assert.False(average.Model.training);
    }

    [Fact]
    public void Counters_are_copied_not_averaged()
    {
        using var trained = new ConvNet(new ConvNetConfig());
        using var average = WeightAverage.Of(trained, () => new ConvNet(new ConvNetConfig()), decay: 0.99);
        var counter = trained.state_dict().First(kv => kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        counter.Value.fill_(7);
        average.Update(50);
        Assert.Equal(7, average.Model.state_dict()[counter.Key].item<long>());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    public void A_decay_outside_zero_to_one_is_refused(double decay)
    {
        using var trained = new ConvNet(new ConvNetConfig());
        Assert.Contains("must be in (0, 1)", Assert.Throws<SemisupException>(() => WeightAverage.Of(trained, () => new ConvNet(new ConvNetConfig()), decay)).Message);
    }

    [Fact]
    public void Models_of_different_shapes_cannot_be_averaged()
    {
        using var trained = new ConvNet(new ConvNetConfig());
        using var other = new ConvNet(new ConvNetConfig(HiddenUnits: 50));
        Assert.Contains("same architecture", Assert.Throws<SemisupException>(() => new WeightAverage(other, trained, 0.9)).Message);
    }
}
