using Semisup.Models;
using Semisup.Nn;
using Semisup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Tests.Nn;

public class KMeansAndWarmStartTests
{
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Spherical_k_means_recovers_well_separated_directions()
    {
        manual_seed(2);
        // Four orthogonal unit directions in 25 dimensions, 200 noisy, randomly scaled copies of each.
        var directions = eye(25)[..4];
        var rows = directions.repeat_interleave(200, 0) * (rand(800, 1) + 0.5) + randn(800, 25) * 0.05;
        using var generator = new Generator(7);
        var centroids = KMeansInit.Centroids(rows, 4, 20, generator);
        var cosines = centroids.matmul(directions.T);
        // Every true direction has a centroid within a few degrees of it, and each centroid has unit length.
        Assert.True(cosines.max(0).values.min().item<float>() > 0.99f, cosines.ToString(TorchSharp.TensorStringStyle.Numpy));
        Assert.True((centroids.norm(1) - 1).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void K_means_initialisation_replaces_only_the_first_layer_with_normalised_centroids()
    {
        manual_seed(4);
        using var net = new ConvNet(new ConvNetConfig());
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        // Images of random strokes: a bright bar at a random row or column.
        var images = zeros(300, 1, 28, 28);
        for (int i = 0; i < 300; i++)
            if (i % 2 == 0) images[i, 0, 4 + i % 20, TensorIndex.Colon] = ones(28); else images[i, 0, TensorIndex.Colon, 4 + i % 20] = ones(28);
        KMeansInit.FirstLayer(net, images, seed: 9);
        var after = net.state_dict();
        foreach (var (name, t) in before)
            Assert.Equal(name != "conv1.weight", Same(t, after[name]));
        var filters = after["conv1.weight"].reshape(32, -1);
        double expected = 0.1 * Math.Sqrt(25 / 3.0);
        Assert.True((filters.norm(1) - expected).abs().max().item<float>() < 1e-4f);
        using var again = new ConvNet(new ConvNetConfig());
        KMeansInit.FirstLayer(again, images, seed: 9);
        Assert.True(Same(again.state_dict()["conv1.weight"], after["conv1.weight"]), "the same seed gives the same filters");
        Assert.Throws<SemisupException>(() => KMeansInit.FirstLayer(again, zeros(10, 1, 28, 28), seed: 1));
    }

    [Fact]
    public void Warm_start_copies_layers_of_matching_name_and_shape_and_reports_the_rest()
    {
        using var dir = new TempDir();
        manual_seed(1);
        using var small = new ConvNet(new ConvNetConfig(HiddenUnits: 50));
        Checkpoint.Save(dir["small.ckpt"], small, new Recipe { Model = new ConvNetConfig(HiddenUnits: 50) }, new TrainingState(1, 1, 0.5, 1), null);
        manual_seed(2);
        using var big = new ConvNet(new ConvNetConfig());
        var message = Initialisation.WarmStartFrom(big, dir["small.ckpt"]);
        var (s, b) = (small.state_dict(), big.state_dict());
        foreach (var name in new[] { "conv1.weight", "conv4.bias", "bn4.running_var" })
        {
            Assert.True(Same(b[name], s[name]), name);
            Assert.Contains(name, message);
        }
        foreach (var name in new[] { "fc1.weight", "bn5.weight", "fc2.weight" })
            Assert.Contains(name, message[message.IndexOf("initialised randomly", StringComparison.Ordinal)..]);
        Assert.False(Same(b["fc2.weight"], s["fc2.weight"]));

        var (copied, _) = WarmStart.Copy(big, new Dictionary<string, Tensor> { ["conv1.weight"] = zeros(3, 3) });
        Assert.Empty(copied);
        var e = Assert.Throws<SemisupException>(() => WarmStart.Require(copied, dir["x.ckpt"]));
        Assert.Contains("no layer matches", e.Message);
    }
}
