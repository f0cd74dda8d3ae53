using System.Diagnostics;
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

    /// <summary>MNIST's metadata, or with <paramref name="classes"/> other than 10 that many classes named c0, c1, ….</summary>
    public static Dictionary<string, string> Metadata(string recipeJson = "{}", int classes = 10) =>
        ExportMetadata.Create("mnist", classes == 10 ? ClassNames.Of(Datasets.Mnist) : [.. Enumerable.Range(0, classes).Select(k => $"c{k}")], testAccuracy: null,
            new Dictionary<string, string> { [Exporting.RecipeKey] = recipeJson });

    /// <summary>The first <paramref name="n"/> test images.</summary>
    public static ImageSet TestImages(MnistFixture mnist, int n)
    {
        using var all = ImageSet.From(mnist.Files.TestImages, mnist.Files.TestLabels, "t10k");
        return all.Subset([.. Enumerable.Range(0, n)]);
    }

    /// <summary>A fresh model after training-mode passes over real images, so that batch norm's running statistics are
    /// those of data, not the initial 0 and 1 (0.9^30 of which remain), and its outputs are centred enough that it
    /// predicts several classes; left in evaluation mode.</summary>
    public static T WithBatchNormUpdates<T>(T model, ImageSet images, int batches = 30) where T : Classifier
    {
        using var _ = no_grad();
        model.train();
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            model.call(images.Slice(b * 100 % (images.Count - 100), 100));
        }
        model.eval();
        return model;
    }

    /// <summary>Asserts the same predicted classes. With <paramref name="exact"/> false a class may differ where Semisup's
    /// two most probable classes are closer than 2 <paramref name="tolerance"/>: a tie within the rounding that the
    /// probabilities may differ by, which a random network's nearly flat outputs have now and then. Returns how many differ.</summary>
    public static int AssertSameClasses(long[] expected, float[] probabilities, long[] actual, bool exact, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        int classes = probabilities.Length / expected.Length;
        var differ = Enumerable.Range(0, expected.Length).Where(i => expected[i] != actual[i]).ToList();
        if (exact) Assert.Equal(expected, actual);
        foreach (var i in differ)
        {
            var top = probabilities.AsSpan(i * classes, classes).ToArray().OrderDescending().Take(2).ToArray();
            Assert.True(top[0] - top[1] <= 2 * tolerance, $"image {i}: class {expected[i]} by Semisup, {actual[i]} exported, probabilities {top[0]} and {top[1]}");
        }
        return differ.Count;
    }

    /// <summary>The largest absolute difference between two equally long arrays.</summary>
    public static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    /// <summary>Debian's Python, which Debian's python3-torch and python3-onnx install into (not a pyenv's).</summary>
    public const string Python = "/usr/bin/python3";

    public static bool PythonImports(string module) => File.Exists(Python) && RunPython("-c", $"import {module}").Code == 0;

    public static (int Code, string Output) RunPython(params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(); return (-1, "timed out"); }
        return (p.ExitCode, stdout + stderr.Result);
    }
}
