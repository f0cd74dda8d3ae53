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
    public void Over_real_training_steps_the_early_average_is_the_mean_of_the_weights_after_each_step()
    {
        manual_seed(4);
        using var trained = new ConvNet(new ConvNetConfig());
        using var optimizer = new Adam { LearningRate = 0.05 }.Create(trained.parameters());
        using var average = WeightAverage.Of(trained, () => new ConvNet(new ConvNetConfig()), decay: 0.999);
        using var x = rand(8, 1, 28, 28);
        using var y = randint(0, 10, 8);
        var snapshots = new List<Dictionary<string, Tensor>>();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(trained.Noisy(x), y).backward(); // moves the BN statistics too
            optimizer.Step();
            average.Update(step);
            snapshots.Add(trained.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().MoveToOuterDisposeScope()));
        }
        var averaged = average.Model.state_dict();
        foreach (var name in new[] { "conv1.weight", "bn1.running_mean", "bn6.running_var", "fc1.bias" })
        {
            using var mean = (snapshots[0][name] + snapshots[1][name] + snapshots[2][name]) / 3;
            Assert.False(snapshots[0][name].eq(snapshots[2][name]).all().item<bool>(), $"{name} moved in training");
            Assert.True(averaged[name].allclose(mean, rtol: 1e-5, atol: 1e-6), name);
        }
    }

    [Fact]
    public void Building_the_average_leaves_the_random_stream_as_it_was()
    {
        using var trained = new ConvNet(new ConvNetConfig());
        manual_seed(9);
        float without = rand(1).item<float>();
        manual_seed(9);
        using var average = WeightAverage.Of(trained, () => new ConvNet(new ConvNetConfig()), decay: 0.9);
        Assert.Equal(without, rand(1).item<float>());
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
