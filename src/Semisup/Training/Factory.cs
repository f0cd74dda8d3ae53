using Semisup.Data;
using Semisup.Models;
using Semisup.Nn;
using Semisup.Optim;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>The one place a recipe becomes objects: its network for its dataset, its optimizer, its weight average.</summary>
public static class Factory
{
    const double GiB = 1 << 30;

    /// <summary>The recipe's network, for its dataset's images and classes.</summary>
    public static Classifier Model(Recipe r)
    {
        if (!r.Model.Problems().Any() && SizeProblem(r, copies: 1) is { } problem) throw new SemisupException($"Cannot build the network: its {problem}.");
        var ds = Datasets.Get(r.Data.Dataset);
        return r.Model.Build(channels: 1, height: 28, width: 28, classes: ClassNames.Of(ds).Count);
    }

    public static IOptimizer Optimizer(Classifier model, Recipe r) => r.Optimizer.Create(model.parameters());

    /// <summary>Why float32 copies of the recipe's network for training (the weights, their gradients, the optimizer's
    /// state and any weight average; or <paramref name="copies"/>) would not fit in the memory this process may use, or
    /// null. Past that, libtorch aborts the process with a native stack trace, or the kernel kills it. A coarse guard:
    /// activations and libtorch's own memory come on top.</summary>
    public static string? SizeProblem(Recipe r, int? copies = null)
    {
        int n = copies ?? 2 + r.Optimizer.StateCopies + (r.AverageDecay > 0 ? 1 : 0);
        double parameters = r.Model.Parameters;
        double need = parameters * sizeof(float) * n, have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need <= have) return null;
        string what = n > 1 ? $" to train ({n} float32 copies: the weights, their gradients, the optimizer's state and any weight average)" : "";
        return $"{parameters:N0} parameters need {need / GiB:F1} GiB{what}, more than the {have / GiB:F1} GiB this process may use; " +
            $"check {r.Model switch { LadderConfig => "model.layers", GapNetConfig => "model.widths", MlpConfig => "model.hidden", _ => "model.convWidth and model.hiddenUnits" }}";
    }

    /// <summary>A new model initialised as the recipe says: its kind's initialisation, then k-means filters or a warm
    /// start from a checkpoint. Returns what the warm start copied, for the log.</summary>
    public static (Classifier Model, string? Note) Initialised(Recipe r, Func<Data.ImageSet> unlabeled)
    {
        var model = Model(r);
        try
        {
            if (r.Model is ConvNetConfig { Init: "kmeans" } conv) KMeansInit.FirstLayer(model, unlabeled().Images, r.Data.Seed, conv.InitRange);
            string? note = r.Model.WarmStart is { } path ? WarmStartFrom(model, path) : null;
            return (model, note);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Warm start as VGG did (Simonyan and Zisserman 2015): copies the layers of a checkpoint whose names and
    /// shapes match; returns a line naming what was copied and what was not.</summary>
    public static string WarmStartFrom(Classifier model, string checkpoint)
    {
        var (source, _) = Checkpoint.Load(checkpoint);
        using var _source = source;
        var (copied, kept) = WarmStart.Copy(model, source.state_dict());
        WarmStart.Require(copied, checkpoint);
        return $"warm start from {checkpoint}: copied {string.Join(", ", copied)}" +
               (kept.Count > 0 ? $"; initialised randomly: {string.Join(", ", kept)}" : "");
    }
}
