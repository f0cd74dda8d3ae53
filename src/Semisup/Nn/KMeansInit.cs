using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Nn;

/// <summary>First-layer filters learned without labels (Coates et al. 2011): random patches of unlabeled images,
/// each brightness- and contrast-normalised, clustered by spherical k-means; the unit-length centroids become the
/// filters.</summary>
public static class KMeansInit
{
    /// <summary>Replaces the model's first convolution's weights by k-means centroids of patches of <paramref name="images"/>,
    /// scaled to the norm the uniform initialisation gives a filter on average, so later layers see familiar magnitudes.</summary>
    public static void FirstLayer(nn.Module model, Tensor images, ulong seed, double initRange = 0.1, int patches = 20000, int iterations = 20)
    {
        var weight = model.named_parameters().FirstOrDefault(p => p.name == "conv1.weight").parameter
            ?? throw new SemisupException("k-means initialisation needs a model whose first layer is a convolution (conv1).");
        long k = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        var sample = images.index_select(0, randperm(images.shape[0], generator: generator)[..(int)Math.Min(images.shape[0], 2000)]);
        // Every kh×kw window of the sampled images as a row, then the patches that are not nearly flat (MNIST's
        // background), drawn at random.
        var all = nn.functional.unfold(sample, (kh, kw)).transpose(1, 2).reshape(-1, weight.shape[1] * kh * kw);
        var centred = all - all.mean([1], keepdim: true);
        var spread = centred.std(1);
        var useful = centred[spread > 0.05];
        if (useful.shape[0] < k) throw new SemisupException($"k-means initialisation found only {useful.shape[0]} non-blank patches; it needs at least {k}.");
        var chosen = useful.index_select(0, randperm(useful.shape[0], generator: generator)[..(int)Math.Min(useful.shape[0], patches)]);
        var centroids = Centroids(chosen, k, iterations, generator);
        double norm = initRange * Math.Sqrt(Init.Fans(weight).FanIn / 3.0); // E‖w‖² = n·a²/3 for U(−a, a)
        using var _ = no_grad();
        weight.copy_((centroids * norm).reshape(weight.shape));
    }

    /// <summary>Spherical k-means: rows are normalised to unit length, each is assigned to the centroid of largest
    /// dot product, centroids are the normalised sums of their rows; an empty cluster takes a random row.</summary>
    public static Tensor Centroids(Tensor rows, long k, int iterations, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.normalize(rows, dim: 1);
        var c = x.index_select(0, randperm(x.shape[0], generator: generator)[..(int)k]);
        for (int i = 0; i < iterations; i++)
        {
            var assign = x.matmul(c.T).argmax(1);
            var sums = zeros(k, x.shape[1]).index_add(0, assign, x, 1);
            var counts = bincount(assign, minlength: k);
            var empty = counts.eq(0).nonzero().flatten();
            if (empty.numel() > 0)
                sums.index_copy_(0, empty, x.index_select(0, randint(x.shape[0], [empty.numel()], generator: generator)));
            c = nn.functional.normalize(sums, dim: 1);
        }
        return c.MoveToOuterDisposeScope();
    }
}
