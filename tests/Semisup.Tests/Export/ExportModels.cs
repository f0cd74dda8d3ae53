using Semisup.Data;
using Semisup.Export;
using Semisup.Models;
using Semisup.Tests.Data;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Export;

/// <summary>The models and images the export tests share.</summary>
static class ExportModels
{
    public static string ShippedPath => Path.Combine(Repo.Root, "models", "gamma-seed1", "best.ckpt");

    /// <summary>The shipped checkpoint's model and recipe: the one place that knows how a checkpoint is loaded.</summary>
    public static (Classifier Model, Recipe Recipe) LoadShipped()
    {
        var (model, header) = Checkpoint.Load(ShippedPath);
        return (model, header.Recipe);
    }

    public static Dictionary<string, string> Metadata(string recipeJson = "{}") => ExportMetadata.Create(recipeJson, "mnist", testAccuracy: null);

    /// <summary>The first <paramref name="n"/> test images.</summary>
    public static ImageSet TestImages(MnistFixture mnist, int n)
    {
        using var all = ImageSet.From(mnist.Files.TestImages, mnist.Files.TestLabels, "t10k");
        return all.Subset([.. Enumerable.Range(0, n)]);
    }

    /// <summary>A fresh model after a few training-mode passes over real images, so that batch norm's running statistics
    /// are those of data, not the initial 0 and 1; left in evaluation mode.</summary>
    public static T WithBatchNormUpdates<T>(T model, ImageSet images, int batches = 5) where T : Classifier
    {
        using var _ = no_grad();
        model.train();
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            model.call(images.Images.narrow(0, b * 100 % (images.Count - 100), 100));
        }
        model.eval();
        return model;
    }

    /// <summary>The largest absolute difference between two equally long arrays.</summary>
    public static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }
}
