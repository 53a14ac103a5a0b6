using InSitu.Models;

/// <summary>
/// Floating-point operations of one image through a ResNet's convolutions and head, counted as direct convolution
/// does them (2 per multiply-add), so a Winograd plan's figure is an effective rate. Pooling, ReLU and the residual
/// additions (under 0.1% of the total) are left out.
/// </summary>
internal static class ModelFlops
{
    public static double PerImage(ResNetConfig c)
    {
        long h = c.Height, w = c.Width;
        double macs = Conv(h, w, c.InChannels, c.StemWidth, 3);
        long inPlanes = c.StemWidth;
        for (int s = 0; s < c.StageWidths.Length; s++)
            for (int b = 0; b < c.BlocksPerStage[s]; b++)
            {
                int stride = b == 0 ? c.StageStrides[s] : 1;
                long planes = c.StageWidths[s];
                h = (h - 1) / stride + 1;
                w = (w - 1) / stride + 1;
                macs += Conv(h, w, inPlanes, planes, 3) + Conv(h, w, planes, planes, 3);
                if (stride != 1 || inPlanes != planes) macs += Conv(h, w, inPlanes, planes, 1);
                inPlanes = planes;
            }
        macs += (double)c.FeatureSize * c.Classes;
        return 2 * macs;
    }

    private static double Conv(long outH, long outW, long inChannels, long outChannels, int kernel) =>
        (double)outH * outW * inChannels * outChannels * kernel * kernel;
}
