using Semisup.Data;
using static TorchSharp.torch;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>The four sets a run uses, in memory: labeled, unlabeled, validation (from the training images, by the
/// split, or a folder's own) and the test set, which a folder may not have.</summary>
public sealed class RunData(ImageSet labeled, ImageSet unlabeled, ImageSet validation, ImageSet? test) : IDisposable
{
    public ImageSet Labeled { get; } = labeled;
    public ImageSet Unlabeled { get; } = unlabeled;
    public ImageSet Validation { get; } = validation;
    /// <summary>Measured once at the end; null when the data has none.</summary>
    public ImageSet? Test { get; } = test;

    public Tensor Labels(Tensor indices) => Labeled.Labels.index_select(0, indices);

    public static RunData From(DatasetFiles files, Split split, string dataset)
    {
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{dataset} train");
        return new(train.Subset(split.Labeled), train.Subset(split.Unlabeled), train.Subset(split.Validation),
            ImageSet.From(files.TestImages, files.TestLabels, $"{dataset} test"));
    }

    /// <summary>A folder's sets by its split (<see cref="FolderSplit"/>): the split's indices run over the labeled
    /// images, then the unlabeled ones.</summary>
    public static RunData From(ImageFolderSet set, Split split)
    {
        var labeled = set.Labeled ?? throw new SemisupException($"{set.Source}: no labeled images.");
        using var scope = NewDisposeScope();
        var parts = new[] { labeled, set.Unlabeled }.OfType<ImagePartition>().ToArray();
        using var pool = new ImageSet(cat(parts.Select(p => p.ToTensor()).ToArray()), cat(parts.Select(p => p.LabelTensor()).ToArray()));
        var validation = set.Validation is { } v ? ImageSet.From(v) : pool.Subset(split.Validation);
        var test = set.Test is { } t ? ImageSet.From(t) : null;
        var data = new RunData(pool.Subset(split.Labeled), pool.Subset(split.Unlabeled), validation, test);
        foreach (var s in new[] { data.Labeled, data.Unlabeled, data.Validation, data.Test }.OfType<ImageSet>())
        {
            s.Images.MoveToOuterDisposeScope();
            s.Labels.MoveToOuterDisposeScope();
        }
        return data;
    }

    public void Dispose() { Labeled.Dispose(); Unlabeled.Dispose(); Validation.Dispose(); Test?.Dispose(); }
}
