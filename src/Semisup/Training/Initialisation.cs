using Semisup.Models;
using Semisup.Nn;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>A new network's first weights, as its recipe says: its kind's initialisation, then k-means filters or a
/// warm start from a checkpoint.</summary>
public static class Initialisation
{
    /// <summary>A new model initialised as the recipe says: its kind's initialisation, then k-means filters or a warm
    /// start from a checkpoint. Returns what the warm start copied, for the log.</summary>
    public static (Classifier Model, string? Note) NewModel(Recipe r, Func<Data.ImageSet> unlabeled)
    {
        var model = Factory.Model(r);
        try
        {
            if (r.Model is ConvNetConfig { Init: "kmeans" } conv)
            {
                var set = unlabeled();
                using var images = set.Slice(0, set.Count);
                KMeansInit.FirstLayer(model, images, r.Data.Seed, conv.InitRange);
            }
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
        var (source, header) = Checkpoint.Load(checkpoint);
        using var _source = source;
        var (copied, kept) = WarmStart.Copy(model, source.state_dict());
        WarmStart.Require(copied, checkpoint);
        return $"warm start from {checkpoint}: copied {string.Join(", ", copied)}" +
               (kept.Count > 0 ? $"; initialised randomly: {string.Join(", ", kept)}" : "") +
               (Checkpoint.Unverified(checkpoint, header) is { } warning ? $"\n{warning}" : "");
    }
}
