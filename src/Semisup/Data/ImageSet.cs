using TorchSharp;
using static TorchSharp.torch;

namespace Semisup.Data;

/// <summary>A dataset in memory: images as float [N,1,28,28] in [0,1], labels as int64 [N].</summary>
public sealed class ImageSet(Tensor images, Tensor labels) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public long Count => Labels.shape[0];

    /// <summary>The images and labels at the given indices (a copy).</summary>
    public ImageSet Subset(int[] indices)
    {
        using var idx = tensor(indices, ScalarType.Int64);
        return new(Images.index_select(0, idx), Labels.index_select(0, idx));
    }

    public static ImageSet From(IdxArray images, IdxArray labels, string name)
    {
        if (images.Shape.Length != 3 || labels.Shape.Length != 1 || images.Count != labels.Count)
            throw new SemisupException($"{name}: expected images N×H×W and N labels, got {string.Join("x", images.Shape)} and {string.Join("x", labels.Shape)}.");
        if (labels.Data.Any(l => l > 9)) throw new SemisupException($"{name}: labels must be 0–9.");
        using var scope = NewDisposeScope();
        var x = tensor(images.Data, ScalarType.Byte).reshape(images.Count, 1, images.Shape[1], images.Shape[2]).to_type(ScalarType.Float32).div_(255f);
        var y = tensor(labels.Data, ScalarType.Byte).to_type(ScalarType.Int64);
        return new(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    public void Dispose() { Images.Dispose(); Labels.Dispose(); }
}

/// <summary>The four files of a dataset, read and checked.</summary>
public sealed record DatasetFiles(IdxArray TrainImages, IdxArray TrainLabels, IdxArray TestImages, IdxArray TestLabels)
{
    public static DatasetFiles Read(string dir, DatasetInfo ds)
    {
        IdxArray R(DatasetFile f) => Idx.Parse(Idx.ReadContent(DatasetStore.Find(dir, ds, f)
            ?? throw new DataFilesException($"{Path.Combine(dir, f.Name)}: missing.", ds, DataRemedy.Fetch), f.Length), f.Name);
        return new(R(ds.TrainImages), R(ds.TrainLabels), R(ds.TestImages), R(ds.TestLabels));
    }
}
